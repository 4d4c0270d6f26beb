import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { findAgreementSets } from '../../app/agreement/find-sets.js';
import {
  DEFAULT_AGREEMENT_EXPERIMENT,
  runAgreement,
  type SetOutcome,
} from '../../app/agreement/run-agreement.js';
import { type AgreementSet, checkSetScorer } from '../../app/agreement/set-file.js';
import { EXIT, exitCodesHelp } from '../../app/exit-codes.js';
import { type Env, readEnv } from '../../config/env.js';
import { loadEvalFile } from '../../config/load.js';
import type { JudgeConfig, ModelRef } from '../../config/schema.js';
import { secretValues } from '../../config/secrets.js';
import { ConfigError } from '../../core/errors.js';
import { parseJudgeModelRef } from '../../judges/model-ref.js';
import type { ResolvedJudgePrompt } from '../../judges/registry-prompt.js';
import { scorerRegistry } from '../../scorers/index.js';
import { parsePromptUri } from '../../sinks/mlflow/prompts.js';
import type { KappaWeights } from '../../stats/agreement.js';
import { createProgressReporter } from '../progress.js';
import { reportError } from '../report-error.js';
import { type CommandIo, processIo, scrubbedIo } from './run.js';
import { positiveInt } from './run-options.js';

export interface AgreementCliOptions {
  /** `--metrics a,b`: only the sets of these metrics. */
  metrics?: string[];
  judge?: string;
  /** `--judge-api-key-env NAME`: the variable holding the `--judge` server's key (a URI cannot name it). */
  judgeApiKeyEnv?: string;
  /** `--config eval.yaml`: the judge (`judge:`) of an eval file. */
  config?: string;
  limit?: number;
  includeBorderline?: boolean;
  weights?: KappaWeights;
  concurrency?: number;
  experiment?: string;
  out?: string;
  mlflow: boolean;
  trackingUri?: string;
  json?: boolean;
  progress: boolean;
  /** `--prompt-versions a,b`: registry prompt versions to compare, each set run once per version. */
  promptVersions?: string[];
}

/** Rows in flight per set unless `--concurrency` says otherwise (a local judge answers one at a time). */
const DEFAULT_CONCURRENCY = 4;

/**
 * `judgeflow agreement [sets...]` as a plain function: reads and checks every set (nothing is called
 * for a malformed one), runs each set's scorer over its cases (one MLflow run per set), prints
 * accuracy and Cohen's kappa per metric. Exit 0; 1 when a set had no case the judge could score; 3 when
 * MLflow writes wait in a spool; 130 when interrupted.
 */
export async function agreementCommand(
  paths: readonly string[],
  options: AgreementCliOptions,
  commandIo: CommandIo,
): Promise<number> {
  const io = scrubbedIo(commandIo);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const stop = new AbortController();
  let interrupts = 0;
  const removeInterrupt = io.onInterrupt?.(() => {
    interrupts += 1;
    if (interrupts === 1) {
      log(
        '\ninterrupted: no new cases are started; the sets run so far are reported (Ctrl-C again to exit at once)',
      );
      stop.abort();
    } else io.exit?.(130);
  });
  let progress: ReturnType<typeof createProgressReporter> | undefined;
  try {
    const env = readEnv(io.env, io.cwd);
    const sets = await findAgreementSets({
      paths,
      cwd: io.cwd,
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
    });
    const registry = scorerRegistry();
    for (const set of sets) checkSetScorer(set, registry);

    let judge: JudgeConfig | undefined;
    let judgeBaseDir = io.cwd;
    if (options.config !== undefined) {
      const loaded = await loadEvalFile(path.resolve(io.cwd, options.config));
      judge = loaded.config.judge;
      judgeBaseDir = loaded.baseDir;
      io.redactor.addSecrets(secretValues(env, { config: loaded.config }));
    }
    if (options.judge !== undefined || options.judgeApiKeyEnv !== undefined) {
      judge = { ...(judge ?? {}), model: judgeModel(options, judge, judgeBaseDir) };
    }

    let mlflow: { trackingUri: string } | undefined;
    if (options.mlflow) {
      const { resolveTrackingUri } = await import('../../sinks/mlflow/index.js');
      const target = await resolveTrackingUri({
        env,
        home: env.home,
        ...(options.trackingUri !== undefined ? { flag: options.trackingUri } : {}),
        log,
      });
      if (target !== undefined) mlflow = { trackingUri: target.uri };
    }
    const promptVersions = await resolvePromptVersions(options, sets, mlflow, env);

    const outRoot = path.resolve(
      io.cwd,
      options.out ??
        path.join('judgeflow-runs', `agreement-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    );
    let current: string | undefined;
    const started = performance.now();
    const outcomes = await runAgreement({
      sets,
      ...(judge !== undefined ? { judge } : {}),
      judgeBaseDir,
      env: io.env,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(promptVersions.length > 0 ? { promptVersions } : {}),
      includeBorderline: options.includeBorderline === true,
      ...(options.weights !== undefined ? { weights: options.weights } : {}),
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      ...(mlflow !== undefined ? { mlflow } : {}),
      experiment: options.experiment ?? DEFAULT_AGREEMENT_EXPERIMENT,
      outRoot,
      signal: stop.signal,
      log,
      ...(options.progress
        ? {
            onEvent: (set, event) => {
              if (current !== set.file) {
                progress?.stop();
                current = set.file;
                progress = createProgressReporter({ stream: io.stderr });
              }
              progress?.onEvent(event);
            },
          }
        : {}),
    });
    progress?.stop();
    const seconds = (performance.now() - started) / 1000;
    if (options.json === true) io.stdout.write(`${JSON.stringify(agreementJson(outcomes), null, 2)}\n`);
    else {
      io.stdout.write(`${formatAgreementTable(outcomes)}\n`);
      io.stdout.write(`\n${outcomes.length} set(s) in ${seconds.toFixed(1)}s; results in ${outRoot}\n`);
    }
    if (stop.signal.aborted) return EXIT.interrupted;
    const unscored = outcomes.filter((o) => o.report.n === 0).map((o) => o.set.metric);
    if (unscored.length > 0) {
      log(
        `judgeflow: the judge scored no case of ${unscored.join(', ')}: agreement is undefined (see agreement_cases.json for the errors)`,
      );
      return EXIT.gateFailed;
    }
    const pending = outcomes.reduce((sum, o) => sum + o.pendingWrites, 0);
    if (pending > 0) {
      log(
        `${pending} MLflow writes wait in the sets' mlflow-spool folders; replay them with judgeflow mlflow sync <out-dir>/<metric>`,
      );
      return EXIT.pendingWrites;
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr, { env: io.env, redactor: io.redactor });
  } finally {
    progress?.stop();
    removeInterrupt?.();
  }
}

/**
 * `--prompt-versions` as registry versions, fetched once before any judge call; and a set's own
 * `scorer: {prompt: prompts:/...}` resolved the same way (from the command's tracking server). Both
 * need MLflow: the prompts live in its registry.
 */
async function resolvePromptVersions(
  options: AgreementCliOptions,
  sets: AgreementSet[],
  mlflow: { trackingUri: string } | undefined,
  env: Env,
): Promise<ResolvedJudgePrompt[]> {
  const uris = options.promptVersions ?? [];
  const setReferences = sets.filter(
    (set) => typeof set.scorer === 'object' && typeof set.scorer.prompt === 'string',
  );
  if (uris.length === 0 && setReferences.length === 0) return [];
  if (mlflow === undefined) {
    throw new ConfigError(
      `${uris.length > 0 ? '--prompt-versions' : `${setReferences[0]?.file}: scorer.prompt`} names prompts in MLflow's prompt registry: drop --no-mlflow`,
      { field: 'promptVersions' },
    );
  }
  const { MlflowClient, loadJudgePromptVersion } = await import('../../sinks/mlflow/index.js');
  const client = new MlflowClient({ trackingUri: mlflow.trackingUri, env });
  try {
    for (const set of setReferences) {
      const entry = set.scorer as Exclude<AgreementSet['scorer'], string>;
      set.scorer = {
        ...entry,
        prompt: await loadJudgePromptVersion({ client, uri: entry.prompt as string }),
      };
    }
    const versions: ResolvedJudgePrompt[] = [];
    for (const uri of uris) versions.push(await loadJudgePromptVersion({ client, uri }));
    return versions;
  } finally {
    await client.close();
  }
}

/**
 * `--judge` as the judge's model reference, checked now (a URI that is no judge fails before anything
 * starts); with `--judge-api-key-env`, the object form that names the key's variable.
 */
function judgeModel(
  options: AgreementCliOptions,
  config: JudgeConfig | undefined,
  baseDir: string,
): ModelRef {
  const uri = options.judge ?? config?.model;
  if (uri === undefined)
    throw new ConfigError('--judge-api-key-env names the key of a --judge server; give --judge too', {
      field: 'judgeApiKeyEnv',
    });
  const ref = parseJudgeModelRef(uri, {
    baseDir,
    field: options.judge !== undefined ? '--judge' : 'judge.model',
  });
  const keyVariable = options.judgeApiKeyEnv;
  if (keyVariable === undefined) return uri;
  if (ref.provider === 'local')
    throw new ConfigError('--judge-api-key-env: the local judge takes no key', { field: 'judgeApiKeyEnv' });
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyVariable))
    throw new ConfigError(`--judge-api-key-env: "${keyVariable}" is not a variable name`, {
      field: 'judgeApiKeyEnv',
    });
  return {
    provider: ref.provider,
    model: ref.model,
    ...(ref.baseUrl !== undefined ? { base_url: ref.baseUrl } : {}),
    api_key_env: keyVariable,
  };
}

/** One object per set, with undefined numbers (kappa over one label, no case scored) as null. */
export function agreementJson(outcomes: readonly SetOutcome[]): Array<Record<string, unknown>> {
  const num = (value: number) => (Number.isFinite(value) ? value : null);
  return outcomes.map(({ set, report, judgeModel, outDir, mlflow, prompt }) => ({
    metric: set.metric,
    prompt: prompt !== undefined ? `${prompt.name}/${prompt.version}` : null,
    set: set.file,
    feedback: report.feedback,
    judge_model: judgeModel,
    n: report.n,
    accuracy: num(report.accuracy),
    cohen_kappa: num(report.kappa),
    kappa_weights: report.kappaWeights,
    include_borderline: report.includeBorderline,
    errors: report.errors,
    borderline_n: report.borderline.n,
    borderline_accuracy: num(report.borderline.accuracy),
    out_dir: outDir,
    run_url: mlflow?.url ?? null,
    run_id: mlflow?.run_id ?? null,
  }));
}

/** The printed table: metric, n, accuracy, kappa, errors, borderline accuracy, run URL. */
export function formatAgreementTable(outcomes: readonly SetOutcome[]): string {
  const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : 'undefined');
  // with --prompt-versions, each metric's rows name the prompt version, side by side
  const rows: string[][] = [['metric', 'n', 'accuracy', 'kappa', 'errors', 'borderline', 'run']];
  for (const { set, report, mlflow, prompt } of outcomes) {
    const kappa = fixed(report.kappa);
    rows.push([
      prompt !== undefined ? `${set.metric} (${prompt.name}/${prompt.version})` : set.metric,
      String(report.n),
      fixed(report.accuracy),
      report.kappaWeights === 'none' || kappa === 'undefined' ? kappa : `${kappa} (${report.kappaWeights})`,
      String(report.errors),
      report.borderline.n === 0 ? '-' : `${fixed(report.borderline.accuracy)} of ${report.borderline.n}`,
      mlflow?.url ?? '-',
    ]);
  }
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === 1 || i === 4 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function metricList(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0)
    throw new InvalidArgumentError('expected metric names, e.g. relevance_to_query,fluency');
  return [...(previous ?? []), ...list];
}

function promptUriList(value: string, previous: string[] | undefined): string[] {
  const list = value
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
  for (const uri of list) {
    try {
      parsePromptUri(uri);
    } catch {
      throw new InvalidArgumentError(
        `"${uri}" is no prompt URI: expected prompts:/<name>/<version> or prompts:/<name>@<alias>`,
      );
    }
  }
  if (list.length === 0)
    throw new InvalidArgumentError('expected prompt URIs, e.g. prompts:/judgeflow.correctness/1');
  return [...(previous ?? []), ...list];
}

export function registerAgreementCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('agreement')
    .description(
      "measured trust: run each LLM metric's judge over a human-labelled set; accuracy and Cohen's kappa per metric, into MLflow",
    )
    .argument(
      '[sets...]',
      'agreement set files or folders (default: the sets judgeflow ships, data/agreement/)',
    )
    .option('--metrics <names>', 'only the sets of these metrics (comma-separated)', metricList)
    .option(
      '--judge <model-uri>',
      'the judge: local, openai:/gpt-4.1-mini, vllm:/<model>@http://host:8000/v1, openai-compatible:/<model>@<base_url>',
    )
    .option(
      '--judge-api-key-env <name>',
      "the variable holding the --judge server's API key (e.g. VLLM_API_KEY for a vLLM server started with --api-key)",
    )
    .option('--config <eval-file>', "take the judge (the eval file's judge: section) from an eval file")
    .option('--limit <n>', 'only the first N cases of each set', positiveInt)
    .option(
      '--include-borderline',
      'count borderline cases in accuracy and kappa (default: clear cases only)',
    )
    .addOption(
      new Option(
        '--weights <kind>',
        'kappa weights for sets with integer labels (default quadratic)',
      ).choices(['none', 'linear', 'quadratic']),
    )
    .option('-c, --concurrency <n>', `cases in flight per set (default ${DEFAULT_CONCURRENCY})`, positiveInt)
    .option('--experiment <name>', `MLflow experiment (default ${DEFAULT_AGREEMENT_EXPERIMENT})`)
    .option(
      '--out <dir>',
      'output folder, one subfolder per set (default ./judgeflow-runs/agreement-<timestamp>)',
    )
    .option('--no-mlflow', 'do not log to MLflow (files only)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .option(
      '--prompt-versions <uris>',
      "compare judge prompts from MLflow's prompt registry on the same sets: prompts:/judgeflow.correctness/1,prompts:/judgeflow.correctness/2 (one run per version)",
      promptUriList,
    )
    .option('--json', 'print the results as JSON')
    .option('--no-progress', 'no progress output')
    .addHelpText('after', exitCodesHelp())
    .action(async (paths: string[], options: AgreementCliOptions) => {
      setExitCode(await agreementCommand(paths, options, processIo()));
    });
}
