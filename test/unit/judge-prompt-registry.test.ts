// Judge prompts in MLflow's prompt registry: what `prompts push --builtin` registers and when it makes a
// new version, a registry prompt checked against the judge's variables, and the prompt name/version
// every judge assessment records. Against the real registry: test/integration/judge-prompts-registry.test.ts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAgreementSet } from '../../src/app/agreement/set-file.js';
import { configParams } from '../../src/app/params.js';
import type { EvalFile } from '../../src/config/schema.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  loadJudgePrompt,
  PROMPT_NAME_KEY,
  PROMPT_VERSION_KEY,
  promptIdentity,
  promptMetadata,
} from '../../src/judges/prompt-file.js';
import {
  builtinPromptTemplates,
  chatTemplateOf,
  judgePromptFromRegistry,
  type ResolvedJudgePrompt,
} from '../../src/judges/registry-prompt.js';
import { Correctness, Fluency } from '../../src/scorers/index.js';
import { pushDecision } from '../../src/sinks/mlflow/prompts.js';
import { repoRoot } from '../helpers/cli.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

const correctness = loadJudgePrompt('correctness');

function registryVersion(
  messages: unknown,
  overrides: Partial<ResolvedJudgePrompt> = {},
): ResolvedJudgePrompt {
  return {
    uri: 'prompts:/judgeflow.correctness@production',
    name: 'judgeflow.correctness',
    version: '3',
    type: 'chat',
    template: JSON.stringify(messages),
    ...overrides,
  };
}

describe('prompts push --builtin: what is registered', () => {
  it('every built-in judge as a chat prompt <prefix><judge> (system + user), make_judge frame aside', async () => {
    const templates = await builtinPromptTemplates('judgeflow.');
    const names = templates.map((t) => t.name);
    expect(names).toContain('judgeflow.correctness');
    expect(names).toContain('judgeflow.relevance_to_query');
    expect(names).not.toContain('judgeflow.custom_judge');
    const entry = templates.find((t) => t.judge === 'correctness');
    expect(JSON.parse(entry?.template ?? '')).toEqual([
      { role: 'system', content: correctness.system },
      { role: 'user', content: correctness.user },
    ]);
  });

  it('makes a new version only when the text or type differs from the newest version', () => {
    const template = JSON.stringify(chatTemplateOf(correctness));
    expect(pushDecision(undefined, template, 'chat')).toBe('create');
    expect(pushDecision({ template, type: 'chat' }, template, 'chat')).toBe('unchanged');
    expect(pushDecision({ template: `${template} `, type: 'chat' }, template, 'chat')).toBe('create');
    expect(pushDecision({ template, type: 'text' }, template, 'chat')).toBe('create');
  });
});

describe('a judge prompt from the registry', () => {
  it('takes the system and user text of the version, keeps the judge verdict, and names the version', () => {
    const prompt = judgePromptFromRegistry(
      correctness,
      registryVersion([
        { role: 'system', content: 'Grade strictly.' },
        { role: 'user', content: 'Q: {{ request }}\nA: {{ response }}\nRef: {{reference}}' },
      ]),
    );
    expect(prompt.system).toBe('Grade strictly.');
    expect(prompt.verdict).toEqual(correctness.verdict);
    expect(promptIdentity(prompt)).toEqual({ name: 'judgeflow.correctness', version: '3' });
  });

  it('a version missing a variable the judge needs is a ConfigError naming that variable', () => {
    const missing = registryVersion([
      { role: 'system', content: 'Grade.' },
      { role: 'user', content: 'Q: {{ request }}\nA: {{ response }}' },
    ]);
    expect(() => judgePromptFromRegistry(correctness, missing)).toThrow(ConfigError);
    expect(() => judgePromptFromRegistry(correctness, missing)).toThrow(
      /prompts:\/judgeflow\.correctness@production \(judgeflow\.correctness version 3\) does not use \{\{ reference \}\}, which the correctness judge needs/,
    );
  });

  it('a version using a variable the judge does not fill is a ConfigError naming it', () => {
    const unknown = registryVersion([
      { role: 'user', content: '{{ request }} {{ response }} {{ reference }} {{ context }}' },
    ]);
    expect(() => judgePromptFromRegistry(correctness, unknown)).toThrow(
      /uses \{\{ context \}\}, which the correctness judge does not fill \(it fills \{\{ request \}\}, \{\{ response \}\}, \{\{ reference \}\}\)/,
    );
  });

  it('a text prompt is the user message alone; a chat template of other roles is refused', () => {
    const text = judgePromptFromRegistry(
      correctness,
      registryVersion(null, { type: 'text', template: '{{ request }} / {{ response }} / {{ reference }}' }),
    );
    expect(text.system).toBe('');
    const roles = registryVersion([
      { role: 'user', content: '{{ request }}' },
      { role: 'assistant', content: '{{ response }} {{ reference }}' },
    ]);
    expect(() => judgePromptFromRegistry(correctness, roles)).toThrow(/one user message/);
  });
});

describe('the prompt name and version on every judge assessment', () => {
  it('a built-in prompt: builtin:<judge> and a 12-digit hash of its text, which changes with the text', () => {
    const identity = promptIdentity(correctness);
    expect(identity.name).toBe('builtin:correctness');
    expect(identity.version).toMatch(/^[0-9a-f]{12}$/);
    expect(promptIdentity({ ...correctness, user: `${correctness.user}\nBe brief.` }).version).not.toBe(
      identity.version,
    );
    expect(promptMetadata(correctness)).toEqual({
      [PROMPT_NAME_KEY]: 'builtin:correctness',
      [PROMPT_VERSION_KEY]: identity.version,
    });
  });

  it('Correctness with a registry version asks with its text and records its name and version', async () => {
    const fake = fakeJudges();
    const scorer = Correctness({
      judges: fake.judges,
      prompt: registryVersion([
        { role: 'system', content: 'You are a strict grader.' },
        { role: 'user', content: 'QUESTION {{ request }} ANSWER {{ response }} REFERENCE {{ reference }}' },
      ]),
    });
    const [feedback] = await score(
      scorer,
      args({ expectations: { expected_response: 'An MLOps platform' } }),
    );
    expect(fake.requests[0]?.messages[0]).toEqual({ role: 'system', content: 'You are a strict grader.' });
    expect(fake.userText()).toMatch(
      /^QUESTION .*What is MLflow\?.* ANSWER .* REFERENCE Expected response:\nAn MLOps platform$/s,
    );
    expect(feedback?.metadata).toMatchObject({
      [PROMPT_NAME_KEY]: 'judgeflow.correctness',
      [PROMPT_VERSION_KEY]: '3',
    });
  });

  it('the rubric pass/fail feedback carries the prompt of its score; the rubric variant is its own version', async () => {
    const fake = fakeJudges(() => ({ rationale: 'ok', result: 5 }));
    const feedbacks = await score(Fluency({ judges: fake.judges, rubric: true }), args());
    const versions = feedbacks.map((f) => f.metadata?.[PROMPT_VERSION_KEY]);
    expect(feedbacks.map((f) => f.metadata?.[PROMPT_NAME_KEY])).toEqual([
      'builtin:fluency',
      'builtin:fluency',
    ]);
    expect(versions[0]).toBe(versions[1]);
    expect(versions[0]).not.toBe(promptIdentity(loadJudgePrompt('fluency')).version);
  });

  it('a library scorer with a prompts:/ reference and no tracking server is an error feedback, not a guess', async () => {
    const previous = process.env.MLFLOW_TRACKING_URI;
    delete process.env.MLFLOW_TRACKING_URI;
    try {
      const fake = fakeJudges();
      const [feedback] = await score(
        Correctness({ judges: fake.judges, prompt: 'prompts:/judgeflow.correctness@production' }),
        args({ expectations: { expected_response: 'x' } }),
      );
      expect(feedback?.error?.code).toBe('JUDGE_PROMPT_UNAVAILABLE');
      expect(feedback?.error?.message).toMatch(/MLFLOW_TRACKING_URI/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      if (previous !== undefined) process.env.MLFLOW_TRACKING_URI = previous;
    }
  });

  it('the run params name a resolved registry prompt by its URI, not its text', () => {
    const config = {
      dataset: { path: 'rows.jsonl' },
      scorers: [{ type: 'correctness', prompt: registryVersion([{ role: 'user', content: 'long text' }]) }],
    } as unknown as EvalFile;
    const params = configParams(config);
    expect(params.scorers).toBe(
      '[{"type":"correctness","prompt":"prompts:/judgeflow.correctness@production"}]',
    );
  });
});

describe('the MT-Bench correctness labelled set', () => {
  it('is an agreement set of ≥40 cases with clear yes and no labels and some borderline ones', async () => {
    const set = await readAgreementSet(path.join(repoRoot, 'data/labelled/mt_bench_correctness.yaml'));
    expect(set.metric).toBe('correctness');
    expect(set.cases.length).toBeGreaterThanOrEqual(40);
    const clear = set.cases.filter((c) => !c.borderline);
    expect(clear.filter((c) => c.label === 'yes').length).toBeGreaterThanOrEqual(15);
    expect(clear.filter((c) => c.label === 'no').length).toBeGreaterThanOrEqual(15);
    expect(set.cases.filter((c) => c.borderline).length).toBeGreaterThanOrEqual(4);
    for (const c of set.cases) expect(typeof c.expectations.expected_response).toBe('string');
  });
});
