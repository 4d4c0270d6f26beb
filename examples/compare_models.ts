// Model A vs Model B on the same dataset: `npm run example:compare` (from a fresh clone it installs
// what is missing, starts a local MLflow server and runs this file). No API key is needed.
//
// With ../shared/data/wmt21_ende_mqm present, the two "models" are two WMT21 English→German systems
// whose recorded translations of newstest2021 are in that folder: each is a predict function that
// returns its system's translation of the row's segment. Without it, the two models are two settings
// of the embedded local model (judgeflow setup installs it) on a handful of questions — slower, and
// with a 270M model the answers are weak, but the flow is the same.
//
// Each side is evaluated into its own MLflow run (a LoggedModel per side), then `compareRuns` pairs the
// rows, tests every metric (paired bootstrap CI, McNemar / Wilcoxon, Holm), lists the regressions,
// logs a comparison run and writes comparison.json and report.html.
// Run alone: MLFLOW_TRACKING_URI=http://127.0.0.1:5000 npx tsx examples/compare_models.ts
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compareRuns,
  type EvaluateOptions,
  type EvaluateResult,
  evaluate,
  formatComparison,
  type RecordInput,
  scorer,
} from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const outRoot = path.resolve(process.env.JUDGEFLOW_EXAMPLE_OUT ?? path.join(here, '..', 'judgeflow-runs'));
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const trackingUri = process.env.MLFLOW_TRACKING_URI;
const wmt21 = path.resolve(here, '..', '..', 'shared', 'data', 'wmt21_ende_mqm', 'newstest2021');

/** The number groups of a text with their separators removed ("1,000.5" and "1.000,5" both → "10005"). */
function numbers(text: string): string[] {
  return (text.match(/\d[\d.,]*\d|\d/g) ?? []).map((n) => n.replace(/[.,]/g, ''));
}

// A translation that drops or changes a number is wrong whatever its fluency: a pass/fail check.
const keepsNumbers = scorer(
  ({ inputs, outputs }) => {
    const wanted = numbers(String((inputs as { source: string }).source));
    const found = new Set(numbers(String(outputs)));
    const missing = wanted.filter((n) => !found.has(n));
    return {
      value: missing.length === 0,
      rationale:
        missing.length === 0
          ? `all ${wanted.length} numbers of the source are in the translation`
          : `missing: ${missing.join(', ')}`,
    };
  },
  { name: 'keeps_numbers' },
);

interface Side {
  name: string;
  options: Pick<EvaluateOptions, 'predictFn' | 'model' | 'loggedModel'>;
}

interface Plan {
  experiment: string;
  data: RecordInput[];
  scorers: EvaluateOptions['scorers'];
  a: Side;
  b: Side;
}

function lines(file: string): string[] {
  const all = readFileSync(file, 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** The MQM file's system names that differ from the output files' names. */
const SYSTEM_FILES: Record<string, string> = { Nemo: 'NVIDIA-NeMo' };

/** Two WMT21 systems' recorded translations of the first 300 newstest2021 segments. */
function translationPlan(): Plan {
  const rows = 300;
  const source = lines(path.join(wmt21, 'sources', 'newstest2021.en-de.src.en')).slice(0, rows);
  const reference = lines(path.join(wmt21, 'references', 'newstest2021.en-de.ref.A.de'));
  const data: RecordInput[] = source.map((text, i) => ({
    id: `seg-${String(i + 1).padStart(4, '0')}`,
    inputs: { source: text },
    expectations: { references: reference[i] as string },
  }));
  const system = (name: string): Side => {
    const outputs = lines(path.join(wmt21, 'system-outputs', `newstest2021.en-de.hyp.${name}.de`));
    const byId = new Map(data.map((row, i) => [row.id as string, outputs[i] as string]));
    return {
      name,
      options: {
        predictFn: (_inputs, context) => byId.get(context.rowId),
        loggedModel: { name: `wmt21-${name}`, config: { system: name, testset: 'newstest2021' } },
      },
    };
  };
  // Google's expert MQM rating of each system's translation of each segment (0 = no error; minor
  // errors cost 1, major 5): recorded human judgements, looked up by source and translation. Segments
  // without a rating get no feedback, so compare pairs only the rated ones for this metric.
  const ratings = new Map<string, number>();
  const ratingsFile = path.join(wmt21, 'mqm_newstest2021_ende.avg_seg_scores.tsv');
  const outputsOf = new Map<string, string[]>();
  for (const line of lines(ratingsFile).slice(1)) {
    const [name, score, segment] = line.split(/\s+/);
    const index = Number(segment) - 1;
    if (name === undefined || score === undefined || score === 'None' || !(index < rows)) continue;
    const file = path.join(
      wmt21,
      'system-outputs',
      `newstest2021.en-de.hyp.${SYSTEM_FILES[name] ?? name}.de`,
    );
    if (!existsSync(file)) continue; // the human references are rated too
    if (!outputsOf.has(name)) outputsOf.set(name, lines(file));
    ratings.set(`${source[index]}\u0000${outputsOf.get(name)?.[index]}`, Number(score));
  }
  const humanMqm = scorer(
    ({ inputs, outputs }) => {
      const rating = ratings.get(`${(inputs as { source: string }).source}\u0000${String(outputs)}`);
      return rating === undefined ? undefined : { value: rating, rationale: `expert MQM score ${rating}` };
    },
    { name: 'human_mqm' },
  );
  return {
    experiment: 'judgeflow-compare-example',
    data,
    scorers: ['chrf', 'bleu', keepsNumbers, humanMqm],
    // Google's expert MQM ratings of these segments put Facebook-AI well ahead of VolcTrans-AT (mean
    // −1.0 vs −2.3 on the 148 rated ones): the automatic metrics should find B better.
    a: system('VolcTrans-AT'),
    b: system('Facebook-AI'),
  };
}

/** Two settings of the embedded local model on six questions of examples/basic. */
function localModelPlan(): Plan {
  const data = readFileSync(path.join(here, 'basic', 'qa.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, 6)
    .map((line) => {
      const row = JSON.parse(line) as RecordInput;
      return { id: row.id, inputs: row.inputs, expectations: row.expectations } as RecordInput;
    });
  const setting = (name: string, systemPrompt: string): Side => ({
    name,
    options: {
      model: {
        provider: 'local',
        name,
        system_prompt: systemPrompt,
        prompt: '{{ inputs.question }}',
        temperature: 0,
        max_tokens: 24,
      },
    },
  });
  return {
    experiment: 'judgeflow-compare-example',
    data,
    scorers: [
      { type: 'contains', name: 'mentions_expected_fact', expectation_key: 'expected_facts', mode: 'any' },
      { type: 'length', name: 'short_answer', unit: 'words', max: 12 },
    ],
    a: setting('local-plain', 'Answer the question.'),
    b: setting('local-terse', 'Answer with the fact alone: one to three words, no sentence.'),
  };
}

const plan = existsSync(wmt21) ? translationPlan() : localModelPlan();
console.log(
  existsSync(wmt21)
    ? `WMT21 en→de: ${plan.a.name} (A) vs ${plan.b.name} (B) on ${plan.data.length} segments`
    : `../shared/data/wmt21_ende_mqm not found: comparing two local-model settings on ${plan.data.length} questions`,
);

async function run(side: Side): Promise<EvaluateResult> {
  const result = await evaluate({
    data: plan.data,
    ...side.options,
    scorers: plan.scorers,
    experiment: plan.experiment,
    runName: `${side.name}-${stamp}`,
    outDir: path.join(outRoot, `compare-example-${stamp}`, side.name),
    concurrency: 16,
  });
  console.log(`${side.name}: ${JSON.stringify(result.metrics)}`);
  return result;
}

const a = await run(plan.a);
const b = await run(plan.b);
// Each side by its MLflow run when it was logged there, else by its results folder.
const comparison = await compareRuns({
  a: a.mlflow?.run_id ?? a.outDir,
  b: b.mlflow?.run_id ?? b.outDir,
  ...(trackingUri !== undefined ? { trackingUri, mlflow: { experiment: plan.experiment } } : {}),
  outDir: path.join(outRoot, `compare-example-${stamp}`, 'comparison'),
  log: (line) => console.error(line),
});

console.log(`\n${formatComparison(comparison, { shownRegressions: 3 })}`);
console.log(`report: ${path.join(outRoot, `compare-example-${stamp}`, 'comparison', 'report.html')}`);
if (comparison.mlflow?.url !== undefined) console.log(`comparison run: ${comparison.mlflow.url}`);
