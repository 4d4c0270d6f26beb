// The library version of examples/basic: evaluate recorded answers with code scorers.
// Run: npx tsx examples/basic_eval.ts   (logs to MLflow when MLFLOW_TRACKING_URI is set)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contains, evaluate, exactMatch, levenshtein, type RecordInput, scorer } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = readFileSync(path.join(here, 'basic', 'qa.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as RecordInput);

// A custom scorer: MLflow's @scorer rules — return a bool, number, string, Feedback(s) or nothing.
const answersWithOneWord = scorer(({ outputs }) => String(outputs).trim().split(/\s+/).length === 1, {
  name: 'one_word_answer',
});

const result = await evaluate({
  data,
  scorers: [
    exactMatch(),
    contains({ name: 'mentions_expected_fact', expectation_key: 'expected_facts', mode: 'any' }),
    levenshtein({ name: 'similarity', aggregations: ['mean', 'min', 'p90'] }),
    answersWithOneWord,
  ],
  concurrency: 16,
  experiment: 'judgeflow-basic',
  runName: 'basic-qa-library',
});

console.log(result.metrics);
console.log(`results: ${result.resultsPath}`);
if (result.mlflow !== undefined) console.log(`mlflow run: ${result.mlflow.url}`);
