import type { Command } from 'commander';
import { datasetSourceFromConfig } from '../../app/dataset-source.js';
import { applyOverrides } from '../../app/run-eval-file.js';
import { readEnv } from '../../config/env.js';
import { loadEvalFile } from '../../config/load.js';
import { scanDataset } from '../../datasets/index.js';
import { parseGate } from '../../runner/gates.js';
import { scorerRegistry } from '../../scorers/index.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo } from './run.js';

/**
 * `judgeflow validate eval.yaml`: checks the eval file, every scorer's options and every dataset row
 * (the same single pass a run makes), without calling a model or writing anything.
 */
export async function validateCommand(evalPath: string, io: CommandIo): Promise<number> {
  try {
    const loaded = await loadEvalFile(evalPath);
    const config = applyOverrides(loaded.config, {});
    const registry = scorerRegistry();
    for (const [i, entry] of config.scorers.entries()) {
      registry.parse(entry, { file: loaded.path, field: `scorers[${i}]` });
    }
    for (const [metric, threshold] of Object.entries(config.fail_under ?? {}))
      parseGate(`${metric}=${threshold}`);
    const env = readEnv(io.env, io.cwd);
    if ('mlflow' in config.dataset) {
      io.stdout.write(
        `${loaded.path}: valid (dataset "${config.dataset.mlflow}" lives in MLflow and is checked when the run reads it)\n`,
      );
      return 0;
    }
    const source = await datasetSourceFromConfig(config.dataset, {
      baseDir: loaded.baseDir,
      file: loaded.path,
      env,
    });
    const scan = await scanDataset(source, {});
    if (config.model === undefined && scan.rowsWithoutOutputs > 0) {
      io.stderr.write(
        `judgeflow: ${loaded.path}: ${scan.rowsWithoutOutputs} rows have no outputs and no model is configured\n`,
      );
      return 2;
    }
    io.stdout.write(
      `${loaded.path}: valid — dataset "${scan.name}": ${scan.rows} rows, digest ${scan.digest}; ${config.scorers.length} scorers\n`,
    );
    return 0;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

export function registerValidateCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('validate')
    .description('check an eval file and its dataset without running anything')
    .argument('<eval-file>')
    .action(async (evalPath: string) => {
      setExitCode(await validateCommand(evalPath, processIo()));
    });
}
