import type { MlflowClient } from '../../sinks/mlflow/client.js';
import {
  type LineProblem,
  labelProblemsOnLines,
  type ReadLabelsOptions,
  readLabelsFile,
  resolveLabelLines,
} from './labels-file.js';
import { loadRunTraces } from './run-traces.js';
import type { Scale } from './scale.js';
import { checkLabels, type HumanLabel, type LabelWrite, writeHumanLabel } from './write.js';

/** How many labels went to one criterion from one reviewer, by what happened to each. */
export interface LabelCount {
  name: string;
  reviewer: string;
  created: number;
  overrode: number;
  updated: number;
}

export interface ApplyLabelsOptions {
  client: MlflowClient;
  runId: string;
  file: string;
  read?: ReadLabelsOptions;
  scales?: Readonly<Record<string, Scale>>;
  strict?: boolean;
  /** The name of the expectation an `expected` field is written as (default `expected_response`). */
  expectationName?: string;
  /** Check everything, write nothing. */
  dryRun?: boolean;
  /** Called after each label is written. */
  onWritten?: (label: HumanLabel, action: LabelWrite) => void;
}

export interface ApplyLabelsResult {
  /** Every problem of every line; when there is one, nothing was written. */
  problems: LineProblem[];
  /** The labels that passed (all of them when `problems` is empty). */
  labels: HumanLabel[];
  /** What was written, per criterion and reviewer (empty for a dry run or when there are problems). */
  counts: LabelCount[];
}

/**
 * `judgeflow feedback RUN --labels FILE`: reads every line, resolves row ids to the run's traces,
 * checks every value against its criterion's scale, and only when no line has a problem writes the
 * labels one by one (`writeHumanLabel`). Writing again is safe: each reviewer's label updates the
 * assessment it wrote before, so a run cut short can simply be repeated.
 */
export async function applyLabelsFile(options: ApplyLabelsOptions): Promise<ApplyLabelsResult> {
  const { client, runId, file } = options;
  const read = await readLabelsFile(file, options.read);
  const run = await loadRunTraces(client, runId);
  const resolved = resolveLabelLines(run, file, read.lines, {
    ...(options.expectationName !== undefined ? { expectationName: options.expectationName } : {}),
  });
  const checked = checkLabels(run, resolved.labels, {
    ...(options.scales !== undefined ? { scales: options.scales } : {}),
    ...(options.strict !== undefined ? { strict: options.strict } : {}),
  });
  const problems = [
    ...read.problems,
    ...resolved.problems,
    ...labelProblemsOnLines(file, resolved.lineOf, checked.problems),
  ].sort((a, b) => a.line - b.line);
  if (problems.length > 0 || options.dryRun === true) {
    return { problems, labels: checked.labels, counts: [] };
  }
  const counts = new Map<string, LabelCount>();
  for (const label of checked.labels) {
    const { action } = await writeHumanLabel(client, label);
    const key = JSON.stringify([label.name, label.reviewer]);
    const count = counts.get(key) ?? {
      name: label.name,
      reviewer: label.reviewer,
      created: 0,
      overrode: 0,
      updated: 0,
    };
    count[action] += 1;
    counts.set(key, count);
    options.onWritten?.(label, action);
  }
  return {
    problems,
    labels: checked.labels,
    counts: [...counts.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.reviewer.localeCompare(b.reviewer),
    ),
  };
}
