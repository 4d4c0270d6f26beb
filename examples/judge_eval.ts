// The library version of examples/judge: a predict function calling a model, graded by MLflow's
// Correctness judge and two Guidelines judges.
// Run: npx tsx examples/judge_eval.ts
//
// With no API key, both the model under test and the judge are the embedded local model that
// `judgeflow setup` installs (Gemma 3 270M: small and slow on a CPU, so answers and verdicts are
// capped). With OPENAI_API_KEY set the judge becomes openai:/gpt-4.1-mini (MLflow's default); name any
// judge with `judge: { model: 'openai:/gpt-4o-mini' }` or per scorer with `Correctness({ model })`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnv } from '../src/config/env.js';
import { Correctness, evaluate, Guidelines, type RecordInput } from '../src/index.js';
import { defaultLocalJudgePath, LocalModel } from '../src/judges/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = readFileSync(path.join(here, 'judge', 'qa.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as RecordInput);

// The model under test: the local GGUF model, called for each row.
const answerer = await LocalModel.load({ modelPath: defaultLocalJudgePath(readEnv()) });

try {
  const result = await evaluate({
    data,
    predictFn: async (inputs, context) => {
      const reply = await answerer.chat({
        messages: [
          { role: 'system', content: 'Answer the question in one or two short sentences.' },
          { role: 'user', content: String(inputs.question) },
        ],
        maxTokens: 64,
        temperature: 0,
        signal: context.signal,
      });
      return reply.text;
    },
    scorers: [
      Correctness(),
      Guidelines({ name: 'is_english', guidelines: 'The answer is in English.' }),
      Guidelines({ name: 'is_concise', guidelines: 'The answer is under 100 words.' }),
    ],
    judge: { max_tokens: 192 },
    concurrency: 4,
    experiment: 'judgeflow-judges',
    runName: 'judge-qa-library',
  });
  console.log(result.metrics);
  console.log(`results: ${result.resultsPath}`);
  if (result.mlflow !== undefined) console.log(`mlflow run: ${result.mlflow.url}`);
} finally {
  await answerer.close();
}
