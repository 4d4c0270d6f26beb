import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../app/exit-codes.js';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';

export interface FeedbackCliOptions {
  /** `--labels FILE`: a CSV or JSONL of labels. */
  labels?: string;
  /** `--interactive`: ask in the terminal, row by row. */
  interactive?: boolean;
  /** `--reviewer ID`: the reviewer of lines that name none (and of the interactive session). */
  reviewer?: string;
  /** `--name NAME`: the criterion of lines that name none (interactive: only this criterion). */
  name?: string;
  /** `--map column=field`, repeatable. */
  map?: string[];
  /** `--scale name=yes/no|1-5|number|a/b/c|text`, repeatable. */
  scale?: string[];
  /** `--strict`: a criterion must be one the run's judges wrote, or named by --scale. */
  strict?: boolean;
  expectationName?: string;
  format?: 'csv' | 'jsonl';
  trackingUri?: string;
  dryRun?: boolean;
  /** Where interactive answers come from (tests); default the process's stdin. */
  input?: NodeJS.ReadableStream;
}

/**
 * `judgeflow feedback <run-id>` as a plain function. With `--labels`, every line is checked first;
 * any problem is printed as `file:line: field: expected …` and the exit code is 2 with nothing
 * written. Otherwise the labels are written and a count per criterion and reviewer is printed.
 */
export async function feedbackCommand(
  runId: string,
  options: FeedbackCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  try {
    if ((options.labels === undefined) === (options.interactive !== true)) {
      throw new ConfigError('give either --labels FILE or --interactive');
    }
    const { parseScale } = await import('../../app/feedback/scale.js');
    const scales: Record<string, import('../../app/feedback/scale.js').Scale> = {};
    for (const entry of options.scale ?? []) {
      const at = entry.indexOf('=');
      const scale = at > 0 ? parseScale(entry.slice(at + 1)) : undefined;
      if (scale === undefined) {
        throw new ConfigError(
          `--scale ${entry}: expected name=yes/no, name=1-5, name=number, name=a/b/c or name=text`,
          {
            field: 'scale',
          },
        );
      }
      scales[entry.slice(0, at).trim()] = scale;
    }
    const env = readEnv(io.env, io.cwd);
    const mlflow = await import('../../sinks/mlflow/index.js');
    const target = await mlflow.resolveTrackingUri({
      env,
      home: env.home,
      ...(options.trackingUri !== undefined ? { flag: options.trackingUri } : {}),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    if (target === undefined)
      throw new ConfigError('no MLflow server: give --tracking-uri or MLFLOW_TRACKING_URI');
    const client = new mlflow.MlflowClient({ trackingUri: target.uri, env });
    try {
      if (options.interactive === true) {
        const reviewer = options.reviewer ?? io.env.USER;
        if (reviewer === undefined || reviewer === '')
          throw new ConfigError('--interactive needs --reviewer ID');
        const { labelInteractively } = await import('../../app/feedback/interactive.js');
        const result = await labelInteractively({
          client,
          runId,
          reviewer,
          ...(options.name !== undefined ? { names: [options.name] } : {}),
          scales,
          input: (options.input ?? process.stdin) as import('node:stream').Readable,
          output: io.stdout,
        });
        const total = result.written.created + result.written.overrode + result.written.updated;
        io.stdout.write(`\n${total} labels written by ${reviewer}${result.quit ? ' (stopped early)' : ''}\n`);
        return EXIT.ok;
      }
      const { applyLabelsFile } = await import('../../app/feedback/apply-labels.js');
      const { formatLineProblem, parseFieldMap } = await import('../../app/feedback/labels-file.js');
      const file = path.resolve(io.cwd, options.labels as string);
      const result = await applyLabelsFile({
        client,
        runId,
        file,
        read: {
          ...(options.reviewer !== undefined ? { reviewer: options.reviewer } : {}),
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.map !== undefined ? { map: parseFieldMap(options.map) } : {}),
          ...(options.format !== undefined ? { format: options.format } : {}),
        },
        scales,
        strict: options.strict === true,
        ...(options.expectationName !== undefined ? { expectationName: options.expectationName } : {}),
        dryRun: options.dryRun === true,
      });
      if (result.problems.length > 0) {
        for (const problem of result.problems) io.stderr.write(`${formatLineProblem(problem)}\n`);
        io.stderr.write(
          `judgeflow: ${result.problems.length} problem(s) in ${options.labels}; nothing was written\n`,
        );
        return EXIT.invalidInput;
      }
      if (options.dryRun === true) {
        io.stdout.write(`${result.labels.length} labels valid for run ${runId} (dry run: nothing written)\n`);
        return EXIT.ok;
      }
      io.stdout.write(`labels written to run ${runId}:\n`);
      for (const count of result.counts) {
        const total = count.created + count.overrode + count.updated;
        io.stdout.write(
          `  ${count.name}  ${count.reviewer}  ${total}  (new ${count.created}, overriding a judge ${count.overrode}, updated ${count.updated})\n`,
        );
      }
      return EXIT.ok;
    } finally {
      await client.close();
    }
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerFeedbackCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('feedback')
    .description(
      "attach human labels (HUMAN assessments) to a run's traces in MLflow, from a file or interactively",
    )
    .argument('<run-id>', 'the MLflow run whose traces are labelled')
    .option(
      '--labels <file>',
      'a CSV or JSONL of labels: trace_id or row_id, name, value, reviewer, rationale, expected',
    )
    .option('--interactive', 'ask in the terminal row by row; judge verdicts are shown after each answer')
    .option('--reviewer <id>', 'the reviewer of lines that name none (interactive: who is answering)')
    .option('--name <criterion>', 'the criterion of lines that name none (interactive: only this criterion)')
    .option(
      '--map <column=field>',
      'read a column as a label field, e.g. annotator=reviewer (repeatable)',
      collect,
    )
    .option(
      '--scale <name=scale>',
      'the scale of a criterion: yes/no, 1-5, number, a/b/c or text (repeatable)',
      collect,
    )
    .option('--strict', "reject criteria the run's judges did not write (unless given with --scale)")
    .option(
      '--expectation-name <name>',
      'the expectation an `expected` field is written as',
      'expected_response',
    )
    .option('--format <csv|jsonl>', 'the labels file format (default: from the extension)')
    .option('--tracking-uri <uri>', 'the MLflow server (default: as `run` finds it)')
    .option('--dry-run', 'check every line, write nothing')
    .action(async (runId: string, options: FeedbackCliOptions) => {
      setExitCode(await feedbackCommand(runId, options, processIo()));
    });
}
