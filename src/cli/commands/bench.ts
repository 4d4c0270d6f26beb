import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  BENCH_DEFAULTS,
  type BenchCliOptions,
  type BenchContext,
  benchTableRows,
  formatBenchTable,
  runBench,
  validateBenchOptions,
} from '../../app/bench/index.js';
import { EXIT, exitCodesHelp } from '../../app/exit-codes.js';
import { readEnv, readSecret } from '../../config/env.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';
import { integer, nonNegativeInt, positiveInt, positiveNumber } from './run-options.js';

/**
 * `judgeflow bench --tasks a,b` as a plain function: runs lm-evaluation-harness tasks against an
 * OpenAI-compatible server (or the embedded model), prints the per-task table (or `--json`), keeps
 * lm-eval's files in the output folder and records the run in MLflow. Exit 0; 2 for invalid input
 * (a flag, an unknown task, a server that cannot be reached or cannot score prompts); 3 when MLflow
 * writes wait in the spool; 5/70 for infrastructure failures and bugs.
 */
export async function benchCommand(
  options: BenchCliOptions,
  commandIo: CommandIo,
  overrides: Pick<BenchContext, 'lmevalPython' | 'serveLocal'> = {},
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const stop = new AbortController();
  const removeInterrupt = io.onInterrupt?.(() => {
    log('\ninterrupted: stopping the benchmark');
    stop.abort();
  });
  try {
    const env = readEnv(io.env, io.cwd);
    const request = validateBenchOptions(options, { env, cwd: io.cwd });
    // whatever the variable is called, its value is never printed
    io.redactor.addSecrets([readSecret(env, request.apiKeyEnv)]);
    const result = await runBench(request, { ...overrides, env, cwd: io.cwd, log, signal: stop.signal });
    const evaluation = result.recorded.evaluation;
    const rows = benchTableRows(result.results);
    for (const note of result.recorded.notes) log(`judgeflow: note: ${note}`);
    if (options.json === true) {
      io.stdout.write(
        `${JSON.stringify(
          {
            out_dir: result.outDir,
            model: result.model,
            base_url: result.baseUrl,
            lm_eval_version: result.lmEvalVersion,
            executor: request.executor,
            shards: result.shards.length,
            tasks: rows,
            metrics: Object.fromEntries(result.metrics.map((metric) => [metric.name, metric.value])),
            ...(evaluation.mlflow !== undefined ? { mlflow: evaluation.mlflow } : {}),
            seconds: result.seconds,
            notes: result.recorded.notes,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.stdout.write(`${formatBenchTable(rows)}\n\n`);
      io.stdout.write(
        `model ${result.model} at ${result.baseUrl}; lm-eval ${result.lmEvalVersion}; ${result.shards.length} shard(s); ${result.seconds.total.toFixed(1)}s\n`,
      );
      io.stdout.write(`results: ${result.recorded.lmEvalDir}/results.json\n`);
      io.stdout.write(`records: ${evaluation.resultsPath}\n`);
      if (evaluation.mlflow !== undefined) io.stdout.write(`mlflow run: ${evaluation.mlflow.url}\n`);
    }
    if (evaluation.pendingWrites > 0) {
      log(
        `${evaluation.pendingWrites} MLflow writes wait in ${evaluation.outDir}/mlflow-spool; replay them with: judgeflow mlflow sync ${evaluation.outDir}`,
      );
      return EXIT.pendingWrites;
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    removeInterrupt?.();
  }
}

function taskList(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected task names, e.g. arc_easy,hellaswag');
  return [...(previous ?? []), ...list];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerBenchCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('bench')
    .description(
      'run lm-evaluation-harness benchmarks against an OpenAI-compatible server (or the embedded model), locally or sharded over Ray, recorded in MLflow',
    )
    .requiredOption(
      '--tasks <names>',
      'lm-eval tasks or groups, comma-separated (e.g. judgeflow_basics_mc,arc_easy)',
      taskList,
    )
    .option(
      '--base-url <url>',
      'the model server, OpenAI-compatible /v1 base (e.g. http://127.0.0.1:8000/v1)',
    )
    .option('--model <name>', "the served model's name (default: the server's first model)")
    .option('--local', 'serve the embedded model for this run (the default without --base-url)')
    .addOption(
      new Option(
        '--api <kind>',
        'completions (log-likelihood and generation tasks) or chat (generation only)',
      )
        .choices(['completions', 'chat'])
        .default('completions'),
    )
    .option('--num-fewshot <n>', "few-shot examples per prompt (default: each task's own)", nonNegativeInt)
    .option('--limit <n>', 'only the first N documents of each task (below 1: a fraction)', positiveNumber)
    .option(
      '--seed <s>',
      `seed of few-shot sampling and everything random (default ${BENCH_DEFAULTS.seed})`,
      integer,
    )
    .option('--batch-size <b>', `prompts per request (default ${BENCH_DEFAULTS.batchSize})`, positiveInt)
    .option(
      '-c, --concurrency <c>',
      `requests in flight per shard (default ${BENCH_DEFAULTS.concurrency})`,
      positiveInt,
    )
    .option('--include-path <dir>', 'a folder of your own task YAMLs, repeatable', collect)
    .addOption(new Option('--executor <kind>', 'where shards run (default local)').choices(['local', 'ray']))
    .option(
      '--ray-address <address>',
      'Ray cluster (default RAY_ADDRESS, else a local one); implies --executor ray',
    )
    .option('--workers <n>', `Ray shards running at once (default ${BENCH_DEFAULTS.workers})`, positiveInt)
    .option(
      '--shard-size <docs>',
      'documents per shard on Ray (default: about 2 shards per worker)',
      positiveInt,
    )
    .option('--experiment <name>', `MLflow experiment (default ${BENCH_DEFAULTS.experiment})`)
    .option('--run-name <name>', 'MLflow run name prefix (default bench; the run is <name>-<model>)')
    .option('--no-mlflow', 'do not log to MLflow (files only)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option('--out <dir>', 'output folder (default ./judgeflow-runs/bench-<time>)')
    .option('--api-key-env <name>', 'environment variable holding the server API key (never the key itself)')
    .option(
      '--gen-kwargs <json>',
      'generation arguments for generation tasks, a JSON object (e.g. {"max_gen_toks": 64})',
    )
    .option('--apply-chat-template', "format prompts with the model's chat template")
    .option('--system-instruction <text>', 'a system instruction before every prompt')
    .option(
      '--bootstrap-iters <n>',
      `bootstrap resamples for stderr (default ${BENCH_DEFAULTS.bootstrapIters}; 0: none)`,
      nonNegativeInt,
    )
    .option(
      '--add-bos-token',
      "start every prompt with the model's BOS token (default with --local; lm-eval's default is off)",
    )
    .option('--no-add-bos-token', "send prompts without a BOS token (lm-eval's default for API models)")
    .option(
      '--tokenizer <name>',
      'tokenize with this Hugging Face tokenizer (hub name or folder), for servers without /tokenize',
    )
    .option('--json', 'print the results as JSON')
    .addHelpText('after', exitCodesHelp())
    .action(async (options: BenchCliOptions) => {
      setExitCode(await benchCommand(options, processIo()));
    });
}
