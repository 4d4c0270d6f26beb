import { Command, CommanderError } from 'commander';
import { registerDatasetCommands } from './commands/datasets.js';
import { registerJudgeCommands } from './commands/judge.js';
import { registerMlflowCommands } from './commands/mlflow.js';
import { registerPromptCommands } from './commands/prompts.js';
import { registerRayCommands } from './commands/ray.js';
import { registerRunCommand } from './commands/run.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerSetupCommand } from './commands/setup.js';
import { registerValidateCommand } from './commands/validate.js';
import { reportError } from './report-error.js';
import { judgeflowVersion } from './version.js';

/**
 * The composition root: builds the command tree and runs it. Returns the exit code instead of
 * calling process.exit so tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  program
    .name('judgeflow')
    .description('LLM evaluation at scale: datasets → model under test → scorers and judges → MLflow')
    .version(judgeflowVersion())
    .showHelpAfterError()
    .exitOverride();
  registerRunCommand(program, setExitCode);
  registerValidateCommand(program, setExitCode);
  registerSetupCommand(program, setExitCode);
  registerSchemaCommand(program, setExitCode);
  registerMlflowCommands(program, setExitCode);
  registerDatasetCommands(program, setExitCode);
  registerPromptCommands(program, setExitCode);
  registerJudgeCommands(program, setExitCode);
  registerRayCommands(program, setExitCode);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}
