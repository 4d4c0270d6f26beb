// System-level Pearson correlation of judgeflow's corpus BLEU, chrF and chrF++ with the WMT21 en→de
// MQM scores (../shared/data/wmt21_ende_mqm), for the 8 systems whose outputs are in the data.
//
//   npx tsx test/parity/translation/mqm-correlation.ts
//
// MQM per system: the mean of its rated segments' scores (527 segments; higher is better). Metric
// scores are corpus scores over all 1,002 segments and over the 527 rated ones, against each human
// reference (A, C, D) and all three. Prints a markdown table (docs/metrics.md holds its output).
import { corpusBleu, corpusChrf } from '../../../src/scorers/translation/index.js';
import {
  WMT21_REFERENCES,
  WMT21_SYSTEMS,
  wmt21Missing,
  wmt21Mqm,
  wmt21Reference,
  wmt21System,
} from '../../helpers/wmt21.js';

/** Pearson's r of two equally long samples. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    const dy = (ys[i] as number) - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  return covariance / Math.sqrt(varianceX * varianceY);
}

function main(): void {
  const missing = wmt21Missing();
  if (missing !== undefined) {
    console.error(missing);
    process.exit(2);
  }
  const mqm = wmt21Mqm();
  const references = Object.fromEntries(WMT21_REFERENCES.map((name) => [name, wmt21Reference(name)]));
  const systems = WMT21_SYSTEMS.map(({ file, mqm: name }) => {
    const scores = mqm.get(name);
    if (scores === undefined) throw new Error(`MQM scores for ${name} not found`);
    return { file, hypotheses: wmt21System(file), scores };
  });
  // The rated segments are the same for every system (README); take the first system's.
  const rated = systems[0]!.scores.flatMap((score, index) => (score === null ? [] : [index]));
  const mqmMeans = systems.map(({ scores }) => {
    const values = rated.map((index) => scores[index] as number);
    return values.reduce((sum, value) => sum + value, 0) / values.length;
  });
  const referenceSets: Array<[string, string[][]]> = [
    ...WMT21_REFERENCES.map((name): [string, string[][]] => [
      `ref ${name}`,
      references[name]!.map((line) => [line]),
    ]),
    [
      'refs A+C+D',
      references.A!.map((_, index) => WMT21_REFERENCES.map((name) => references[name]![index]!)),
    ],
  ];
  const metrics: Array<[string, (h: string[], r: string[][]) => number]> = [
    ['BLEU', (h, r) => corpusBleu(h, r).score],
    ['chrF', (h, r) => corpusChrf(h, r).score],
    ['chrF++', (h, r) => corpusChrf(h, r, { wordOrder: 2 }).score],
  ];
  const lines = [
    `| metric | references | Pearson r, all 1,002 segments | Pearson r, the ${rated.length} MQM-rated segments |`,
    '| --- | --- | ---: | ---: |',
  ];
  const detail: string[] = [];
  for (const [metric, compute] of metrics) {
    for (const [label, referenceSet] of referenceSets) {
      const all = systems.map(({ hypotheses }) => compute(hypotheses, referenceSet));
      const subset = systems.map(({ hypotheses }) =>
        compute(
          rated.map((index) => hypotheses[index]!),
          rated.map((index) => referenceSet[index]!),
        ),
      );
      lines.push(
        `| ${metric} | ${label} | ${pearson(all, mqmMeans).toFixed(3)} | ${pearson(subset, mqmMeans).toFixed(3)} |`,
      );
      if (label === 'refs A+C+D') {
        detail.push(
          `${metric} (A+C+D, all segments): ${all.map((value, i) => `${systems[i]!.file} ${value.toFixed(2)}`).join(', ')}`,
        );
      }
    }
  }
  console.log(lines.join('\n'));
  console.log();
  console.log(
    `MQM (mean over rated segments): ${systems.map(({ file }, i) => `${file} ${mqmMeans[i]!.toFixed(3)}`).join(', ')}`,
  );
  for (const line of detail) console.log(line);
}

main();
