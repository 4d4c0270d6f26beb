import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { forestChartSpec, meansChartSpec, renderSvg } from './charts.js';
import { comparisonChartPoints, comparisonReportHtml } from './comparison-page.js';
import type { Comparison } from './comparison-types.js';
import { type ReportInput, readReportInput, readResultsFolder } from './read-input.js';
import { runMetrics } from './run-metrics.js';
import { runChartPoints, runReportHtml } from './run-page.js';

/** The report file's name when `out` is not given. */
export const REPORT_FILE = 'report.html';

export type WriteReportOptions = (
  | {
      /** A results folder, a comparison.json or a folder holding one: what `judgeflow report` takes. */
      input: string;
    }
  | {
      /** A comparison already in memory (`judgeflow compare` passes its own). */
      comparison: Comparison;
    }
  | {
      /** A run's results folder (results.jsonl and summary.json). */
      resultsDir: string;
    }
) & {
  /**
   * Where to write the HTML. Default: report.html beside the input (in the results folder, or in the
   * comparison.json's folder); required for a `comparison` given in memory.
   */
  out?: string;
};

/** The HTML of a report, charts rendered: one self-contained document. */
export async function renderReport(input: ReportInput): Promise<string> {
  if (input.kind === 'run') {
    const metrics = runMetrics(input.rows);
    const points = runChartPoints(metrics, 'run');
    const means =
      points.length > 0
        ? await renderSvg(meansChartSpec(points, 'Mean of each metric with its 95% interval'))
        : undefined;
    return runReportHtml(input, metrics, { means });
  }
  const { comparison } = input;
  const points = comparisonChartPoints(comparison);
  const means =
    points.length > 0
      ? await renderSvg(meansChartSpec(points, 'Mean of each metric on both sides'))
      : undefined;
  const forest =
    comparison.metrics.length > 0
      ? await renderSvg(forestChartSpec(comparison.metrics, { confidence: comparison.confidence }))
      : undefined;
  return comparisonReportHtml(comparison, { means, forest });
}

/**
 * Writes the HTML report of a run or a comparison and returns the file's absolute path. The file is
 * written beside its final name and renamed, so a reader (a browser, an MLflow upload) never sees half
 * of it.
 */
export async function writeReport(options: WriteReportOptions): Promise<string> {
  let input: ReportInput;
  let defaultDir: string | undefined;
  if ('comparison' in options) {
    input = { kind: 'comparison', comparison: options.comparison };
  } else if ('resultsDir' in options) {
    input = await readResultsFolder(options.resultsDir);
    defaultDir = options.resultsDir;
  } else {
    input = await readReportInput(options.input);
    defaultDir = input.kind === 'run' ? input.dir : path.dirname(input.file ?? options.input);
  }
  if (options.out === undefined && defaultDir === undefined) {
    throw new ConfigError('writeReport: `out` is required for a comparison given in memory');
  }
  const out = path.resolve(options.out ?? path.join(defaultDir as string, REPORT_FILE));
  const html = await renderReport(input);
  await mkdir(path.dirname(out), { recursive: true });
  const partial = `${out}.${process.pid}.partial`;
  await writeFile(partial, html, 'utf8');
  await rename(partial, out);
  return out;
}
