import { Command, CommanderError } from 'commander';
import { EXIT, exitCodesHelp } from '../app/exit-codes.js';
import { judgeflowVersion } from '../core/paths.js';
import { reportError } from './report-error.js';

type Register = (program: Command, setExitCode: (code: number) => void) => void;

/**
 * Each top-level command and the module that registers it. Only the modules a command line needs are
 * imported, so `judgeflow run` does not pay for loading the Ray, MLflow-admin and judge-server code.
 */
const COMMAND_MODULES: Record<string, () => Promise<Register[]>> = {
  run: async () => [(await import('./commands/run.js')).registerRunCommand],
  agreement: async () => [(await import('./commands/agreement.js')).registerAgreementCommand],
  calibrate: async () => [(await import('./commands/calibrate.js')).registerCalibrateCommand],
  compare: async () => [(await import('./commands/compare.js')).registerCompareCommand],
  bench: async () => [(await import('./commands/bench.js')).registerBenchCommand],
  report: async () => [(await import('./commands/report.js')).registerReportCommand],
  annotate: async () => [(await import('./commands/annotate.js')).registerAnnotateCommand],
  feedback: async () => [(await import('./commands/feedback.js')).registerFeedbackCommand],
  validate: async () => [(await import('./commands/validate.js')).registerValidateCommand],
  setup: async () => [(await import('./commands/setup.js')).registerSetupCommand],
  schema: async () => [(await import('./commands/schema.js')).registerSchemaCommand],
  mlflow: async () => [(await import('./commands/mlflow.js')).registerMlflowCommands],
  datasets: async () => [(await import('./commands/datasets.js')).registerDatasetCommands],
  prompts: async () => [(await import('./commands/prompts.js')).registerPromptCommands],
  'serve-judge': async () => [(await import('./commands/judge.js')).registerJudgeCommands],
  submit: async () => [(await import('./commands/ray.js')).registerRayCommands],
  jobs: async () => [(await import('./commands/ray.js')).registerRayCommands],
};

/**
 * Takes `--debug` out of the command line wherever it stands (before a `--`), so it works as
 * `judgeflow --debug run x.yaml` and `judgeflow run x.yaml --debug` alike.
 */
export function extractDebugFlag(argv: readonly string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  const tail = end === -1 ? [] : argv.slice(end);
  const kept = head.filter((arg) => arg !== '--debug');
  return { argv: [...kept, ...tail], debug: kept.length !== head.length };
}

async function registrations(argv: string[]): Promise<Register[]> {
  const command = argv[2];
  const one = command !== undefined ? COMMAND_MODULES[command] : undefined;
  if (one !== undefined) return one();
  // help, --version or an unknown command: register everything so help lists it all
  const all = await Promise.all(Object.values(COMMAND_MODULES).map((load) => load()));
  return [...new Set(all.flat())];
}

/**
 * The composition root: builds the command tree and runs it. Returns the exit code instead of
 * calling process.exit so tests can call it in-process.
 */
export async function main(rawArgv: string[]): Promise<number> {
  const { argv, debug } = extractDebugFlag(rawArgv);
  // The flag is the variable's short form; child processes (Ray bridge, workers) inherit it.
  if (debug) process.env.JUDGEFLOW_DEBUG = '1';
  const program = new Command();
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  program
    .name('judgeflow')
    .description('LLM evaluation at scale: datasets → model under test → scorers and judges → MLflow')
    .version(judgeflowVersion())
    .option('--debug', 'print stack traces of errors (also JUDGEFLOW_DEBUG=1); allowed after any command')
    .addHelpText('after', exitCodesHelp())
    .exitOverride();
  try {
    for (const register of await registrations(argv)) register(program, setExitCode);
    hintAfterErrors(program);
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
    }
    return reportError(error, process.stderr);
  }
}

/**
 * A mistyped flag gets one line (commander's, with a "did you mean" when one is close) and a hint
 * naming the command's help — not the whole help, which buries the line that matters.
 */
function hintAfterErrors(command: Command, prefix = 'judgeflow'): void {
  const name = command.parent === null ? prefix : `${prefix} ${command.name()}`;
  command.showHelpAfterError(`(see '${name} --help' for the options)`);
  for (const sub of command.commands) hintAfterErrors(sub, name);
}
