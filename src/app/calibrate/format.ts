import type { CalibrationReport } from './types.js';

const fixed = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : value.toFixed(3);

/**
 * The printed report: one line per judge (n, accuracy, Cohen's κ against the majority label,
 * Spearman ρ, self-agreement), the human ceiling per criterion, each judge's confusion matrix, and
 * position consistency.
 */
export function formatCalibration(report: CalibrationReport): string {
  const out: string[] = [];
  const rows: string[][] = [
    ['judge', 'prompt', 'n', 'accuracy', 'kappa', 'spearman', 'self-agree', 'overridden'],
  ];
  for (const j of report.judges)
    rows.push([
      `${j.name} (${j.judge})`,
      j.prompt_version !== null ? `${j.prompt_name}@v${j.prompt_version}` : '-',
      String(j.n),
      fixed(j.accuracy),
      fixed(j.cohen_kappa) +
        (j.kappa_weights !== 'none' && j.cohen_kappa !== null ? ` (${j.kappa_weights})` : ''),
      j.spearman === null ? '-' : fixed(j.spearman.rho),
      j.self_agreement === null ? '-' : fixed(j.self_agreement.mean_pairwise),
      String(j.overridden),
    ]);
  out.push(table(rows));
  if (report.humans.length > 0) {
    const human: string[][] = [['criterion', 'reviewers', 'items', 'agreement', 'cohen', 'fleiss', 'alpha']];
    for (const h of report.humans)
      human.push([
        h.name,
        String(h.reviewers.length),
        String(h.items),
        fixed(h.percent_agreement),
        fixed(h.cohen_kappa),
        fixed(h.fleiss_kappa),
        `${fixed(h.krippendorff_alpha)} (${h.alpha_level})`,
      ]);
    out.push('', 'human agreement (the ceiling):', table(human));
  }
  for (const j of report.judges) {
    if (j.confusion.labels.length === 0) continue;
    const labels = j.confusion.labels.map(String);
    const matrix: string[][] = [['human \\ judge', ...labels]];
    j.confusion.matrix.forEach((row, i) => {
      matrix.push([labels[i] as string, ...row.map(String)]);
    });
    out.push(
      '',
      `confusion, ${j.name}${j.prompt_version !== null ? ` v${j.prompt_version}` : ''}:`,
      table(matrix),
    );
  }
  if (report.position !== null) {
    const p = report.position;
    out.push(
      '',
      `pairwise (${p.judge}): position consistency ${fixed(p.position_consistency)} (${p.consistent} of ${p.pairs} pairs), first-position rate ${fixed(p.first_position_rate)}`,
    );
  }
  if (report.unlabelled_judges.length > 0)
    out.push('', `judges with no human label (not calibrated): ${report.unlabelled_judges.join(', ')}`);
  const unmatched = Object.entries(report.unmatched_labels);
  if (unmatched.length > 0)
    out.push(
      '',
      `labels on criteria no judge assessed: ${unmatched.map(([n, c]) => `${n} (${c})`).join(', ')}`,
    );
  if (report.mlflow !== undefined) out.push('', `logged to MLflow: ${report.mlflow.url}`);
  return out.join('\n');
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
