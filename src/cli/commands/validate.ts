import path from 'node:path';
import type { Command } from 'commander';
import { modelNames, pairwiseEntries } from '../../app/models-under-test.js';
import { preflight } from '../../app/preflight.js';
import { readEnv } from '../../config/env.js';
import { loadEvalFile } from '../../config/load.js';
import type { MlflowClient } from '../../sinks/mlflow/index.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo } from './run.js';
import { addRunOptions, givenOptions, type RunCliOptions, runRequestParts } from './run-options.js';

/**
 * `judgeflow validate eval.yaml [run options]`: the pre-flight `run` makes — the file, every scorer's
 * options, judge references and keys, the model, every dataset row, templates against the dataset's
 * columns, scorer names, quality gates — with the same options, so "valid" means `run` accepts it. It
 * calls no model or judge and writes nothing (MLflow is reached only for a file that names a prompt or
 * a dataset there).
 */
export async function validateCommand(
  evalPath: string,
  io: CommandIo,
  options: Partial<RunCliOptions> = {},
): Promise<number> {
  try {
    const { overrides, executor, mlflow } = runRequestParts(
      {
        failUnder: [],
        mlflow: true,
        executor: 'local',
        workers: 2,
        workerConcurrency: 16,
        progress: false,
        ...options,
      },
      (line) => io.stderr.write(`${line}\n`),
    );
    const env = readEnv(io.env, io.cwd);
    let client: MlflowClient | undefined;
    const file = await loadEvalFile(path.resolve(io.cwd, evalPath));
    // A file with `models:` is checked once per model, as `run` checks it before its first run.
    const models: Array<string | undefined> =
      file.config.models !== undefined ? modelNames(file.config) : [undefined];
    if (models.length === 0) models.push(undefined);
    try {
      for (const model of models) {
        const checked = await preflight({
          evalPath,
          overrides,
          executor,
          env,
          cwd: io.cwd,
          purpose: 'validate',
          ...(model !== undefined ? { model } : {}),
          mlflow: async () => {
            if (!mlflow.enabled) return undefined;
            if (client !== undefined) return client;
            const module = await import('../../sinks/mlflow/index.js');
            const tracking = await module.resolveTrackingUri({
              env,
              home: env.home,
              ...(mlflow.trackingUri !== undefined ? { flag: mlflow.trackingUri } : {}),
              log: (line) => io.stderr.write(`${line}\n`),
            });
            if (tracking === undefined) return undefined;
            const created = new module.MlflowClient({ trackingUri: tracking.uri, env });
            client = created;
            return created;
          },
        });
        try {
          for (const notice of checked.notices) io.stderr.write(`judgeflow: note: ${notice}\n`);
          const { scan } = checked;
          const selected = scan.selectedRows !== scan.rows ? ` (${scan.selectedRows} selected)` : '';
          const keys =
            executor.kind === 'ray' && checked.keyVariables.length > 0
              ? `; each Ray worker checks ${checked.keyVariables.join(', ')} at its start`
              : '';
          const which = model !== undefined ? ` model ${model}:` : '';
          io.stdout.write(
            `${checked.loaded.path}:${which} valid — dataset "${scan.name}": ${scan.rows} rows${selected}, digest ${scan.digest}; ${checked.scorers.length} scorers (${checked.scorers.map((s) => s.name).join(', ')})${keys}\n`,
          );
        } finally {
          await checked.close();
        }
      }
      const pairwise = pairwiseEntries(file.config);
      if (pairwise.length > 0) {
        io.stdout.write(
          `${file.path}: ${pairwise.length} pairwise scorer(s) (${pairwise.map((entry) => entry.name ?? 'pairwise').join(', ')}) compare the models after their runs\n`,
        );
      }
      return 0;
    } finally {
      await client?.close();
    }
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

export function registerValidateCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('validate')
    .description(
      'check an eval file and its dataset as `run` would, with the same options, without calling anything',
    )
    .argument('<eval-file>');
  addRunOptions(command).action(async (evalPath: string, options: RunCliOptions) => {
    setExitCode(await validateCommand(evalPath, processIo(), { ...options, given: givenOptions(command) }));
  });
}
