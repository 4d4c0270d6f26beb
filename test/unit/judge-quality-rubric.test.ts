// The quality judges (relevance_to_query, coherence, fluency, completeness): the coherence judge, the
// 1–5 rubric mode with its pass/fail feedback, and the checks for rows they cannot judge.
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { loadJudgePrompt } from '../../src/judges/prompt-file.js';
import {
  Coherence,
  Completeness,
  Fluency,
  RelevanceToQuery,
  scorerRegistry,
} from '../../src/scorers/index.js';
import type { ScorerBuildContext } from '../../src/scorers/registry.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

/** The prompt name and version every built-in judge's verdict records (see docs/judge-prompts.md). */
const builtinPrompt = (judge: string) => ({
  'judgeflow.prompt.name': `builtin:${judge}`,
  'judgeflow.prompt.version': expect.stringMatching(/^[0-9a-f]{12}$/),
});

const QUALITY = [
  { type: 'relevance_to_query', make: RelevanceToQuery },
  { type: 'coherence', make: Coherence },
  { type: 'fluency', make: Fluency },
  { type: 'completeness', make: Completeness },
] as const;

const systemText = (fake: ReturnType<typeof fakeJudges>, i = 0) =>
  fake.requests[i]?.messages.find((m) => m.role === 'system')?.content ?? '';

describe('coherence (yes/no)', () => {
  it('judges the response with the request as context, MLflow-style yes/no', async () => {
    const fake = fakeJudges(() => ({ rationale: 'Each step follows the last.', result: 'yes' }));
    const feedbacks = await score(
      Coherence({ judges: fake.judges }),
      args({
        inputs: { question: 'How do I boil an egg?' },
        outputs: 'Boil water, add the egg, wait 9 min.',
      }),
    );
    expect(feedbacks).toEqual([
      {
        name: 'coherence',
        value: 'yes',
        rationale: 'Each step follows the last.',
        source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
        metadata: {
          'mlflow.assessment.judgeInputTokens': '10',
          'mlflow.assessment.judgeOutputTokens': '5',
          ...builtinPrompt('coherence'),
        },
      },
    ]);
    expect(fake.userText()).toContain('<request>\nHow do I boil an egg?\n</request>');
    expect(fake.userText()).toContain('<response>\nBoil water, add the egg, wait 9 min.\n</response>');
    expect(fake.userText()).toContain('Is the response coherent?');
    expect(fake.requests[0]?.schema).toMatchObject({
      properties: { result: { type: 'string', enum: ['yes', 'no'] } },
    });
    expect(fake.requests[0]?.schemaName).toBe('coherence');
  });

  it('answers "no" as given, and needs no request (inputs are optional context)', async () => {
    const fake = fakeJudges(() => ({ rationale: 'It says yes, then no.', result: 'no' }));
    const [feedback] = await score(
      Coherence({ judges: fake.judges }),
      args({ inputs: {}, outputs: 'The shop is open on Sundays. It never opens on Sundays.' }),
    );
    expect(feedback).toMatchObject({ name: 'coherence', value: 'no', rationale: 'It says yes, then no.' });
    expect(fake.userText()).toContain('<request>\n(no request given)\n</request>');
  });
});

describe('rubric mode (1-5)', () => {
  it('describes every level 1..5 from the prompt file in the prompt sent, and asks for an integer 1..5', async () => {
    for (const { type, make } of QUALITY) {
      const levels = loadJudgePrompt(type).rubric?.levels ?? [];
      expect(levels, type).toHaveLength(5);
      const fake = fakeJudges(() => ({ rationale: 'r', result: 5 }));
      await score(make({ judges: fake.judges, rubric: true }), args());
      const system = systemText(fake);
      levels.forEach((description, index) => {
        expect(system, `${type} level ${index + 1}`).toContain(`${index + 1}: ${description}`);
      });
      expect(fake.userText(), type).toContain('from 1 to 5?');
      expect(fake.requests[0]?.schema, type).toMatchObject({
        properties: { result: { type: 'integer', minimum: 1, maximum: 5 } },
        required: ['rationale', 'result'],
        additionalProperties: false,
      });
    }
  });

  it('yields the score and <name>/pass with the rationale and threshold metadata; declares <name>/pass', async () => {
    const fake = fakeJudges(() => ({ rationale: 'Several awkward phrasings.', result: 2 }));
    const fluency = Fluency({ judges: fake.judges, rubric: true });
    expect(fluency.feedbackNames).toEqual(['fluency/pass']);
    const feedbacks = await score(fluency, args());
    expect(feedbacks).toEqual([
      {
        name: 'fluency',
        value: 2,
        rationale: 'Several awkward phrasings.',
        source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
        metadata: {
          'mlflow.assessment.judgeInputTokens': '10',
          'mlflow.assessment.judgeOutputTokens': '5',
          ...builtinPrompt('fluency'),
          threshold: '4',
          rubric: '1-5',
        },
      },
      {
        name: 'fluency/pass',
        value: 'no',
        rationale: 'score 2 < threshold 4. Several awkward phrasings.',
        source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
        metadata: { ...builtinPrompt('fluency'), threshold: '4', rubric: '1-5' },
      },
    ]);
  });

  it('passes at the threshold (4 → yes at the default 4) and follows a custom threshold (3)', async () => {
    const four = fakeJudges(() => ({ rationale: 'r', result: 4 }));
    const atDefault = await score(Completeness({ judges: four.judges, rubric: true }), args());
    expect(atDefault.map((f) => [f.name, f.value])).toEqual([
      ['completeness', 4],
      ['completeness/pass', 'yes'],
    ]);
    const three = fakeJudges(() => ({ rationale: 'r', result: 3 }));
    const custom = await score(
      RelevanceToQuery({ judges: three.judges, rubric: true, threshold: 3, name: 'on_topic' }),
      args(),
    );
    expect(custom.map((f) => [f.name, f.value, f.metadata?.threshold])).toEqual([
      ['on_topic', 3, '3'],
      ['on_topic/pass', 'yes', '3'],
    ]);
    const strict = await score(Coherence({ judges: three.judges, rubric: true, threshold: 5 }), args());
    expect(strict[1]?.value).toBe('no');
  });

  it('with samples > 1 the score is the mean and passes only when the mean reaches the threshold', async () => {
    const answers = [4, 4, 3];
    let call = 0;
    const fake = fakeJudges(() => ({ rationale: `r${call}`, result: answers[call++ % 3] }));
    const [value, pass] = await score(Fluency({ judges: fake.judges, rubric: true, samples: 3 }), args());
    expect(value?.value).toBeCloseTo(11 / 3);
    expect(pass).toMatchObject({
      value: 'no',
      rationale: expect.stringMatching(/^score 3\.67 < threshold 4\./),
    });
  });

  it('an out-of-range score (7) is JUDGE_OUTPUT_INVALID for both feedbacks, never a number', async () => {
    const fake = fakeJudges(() => ({ rationale: 'very good', result: 7 }));
    const feedbacks = await score(Fluency({ judges: fake.judges, rubric: true }), args());
    expect(feedbacks.map((f) => [f.name, f.value, f.error?.code])).toEqual([
      ['fluency', null, 'JUDGE_OUTPUT_INVALID'],
      ['fluency/pass', null, 'JUDGE_OUTPUT_INVALID'],
    ]);
    expect(feedbacks[0]?.error?.message).toMatch(/result must be <= 5/);
    // one call and its one repair attempt
    expect(fake.requests).toHaveLength(2);
    const fractional = fakeJudges(() => ({ rationale: 'r', result: 3.5 }));
    const [half] = await score(Fluency({ judges: fractional.judges, rubric: true }), args());
    expect(half?.error?.code).toBe('JUDGE_OUTPUT_INVALID');
  });

  it('threshold without rubric, or outside 1..5, is a ConfigError naming the field', () => {
    expect(() => Fluency({ threshold: 3 })).toThrow(ConfigError);
    try {
      Coherence({ threshold: 3, rubric: false });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/^coherence\.threshold: .*rubric: true/);
    }
    expect(() => Completeness({ rubric: true, threshold: 6 })).toThrow(/completeness\.threshold/);
    expect(() => Completeness({ rubric: true, threshold: 3.5 })).toThrow(/completeness\.threshold/);
  });
});

describe('quality judges in the eval file', () => {
  const where = { field: 'scorers[2]' };

  it('builds {type: fluency, rubric: true, threshold: 3} through the registry', async () => {
    const fake = fakeJudges(() => ({ rationale: 'Reads well enough.', result: 3 }));
    const context: ScorerBuildContext = { baseDir: process.cwd(), env: readEnv({}), judges: fake.judges };
    const scorer = await scorerRegistry().create(
      { type: 'fluency', rubric: true, threshold: 3 },
      context,
      where,
    );
    expect(scorer.feedbackNames).toEqual(['fluency/pass']);
    const feedbacks = await score(scorer, args());
    expect(feedbacks.map((f) => [f.name, f.value])).toEqual([
      ['fluency', 3],
      ['fluency/pass', 'yes'],
    ]);
    const coherence = await scorerRegistry().create('coherence', context, where);
    expect(coherence.feedbackNames).toBeUndefined();
    expect((await score(coherence, args()))[0]?.name).toBe('coherence');
  });

  it('rejects threshold without rubric, naming the entry field', async () => {
    const context: ScorerBuildContext = {
      baseDir: process.cwd(),
      env: readEnv({}),
      judges: fakeJudges().judges,
    };
    const failure = scorerRegistry().create({ type: 'relevance_to_query', threshold: 3 }, context, where);
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(failure).rejects.toMatchObject({ field: 'scorers[2].threshold' });
    await expect(failure).rejects.toThrow(/rubric: true/);
  });
});

describe('rows a quality judge cannot judge', () => {
  it('empty outputs: MISSING_OUTPUTS naming the field, and no judge call (yes/no and rubric)', async () => {
    for (const { type, make } of QUALITY) {
      for (const outputs of ['', '   ', [], {}]) {
        const fake = fakeJudges();
        const feedbacks = await score(make({ judges: fake.judges }), args({ outputs }));
        expect(feedbacks, `${type} ${JSON.stringify(outputs)}`).toEqual([
          expect.objectContaining({
            name: type,
            value: null,
            error: expect.objectContaining({
              code: 'MISSING_OUTPUTS',
              message: expect.stringMatching(/outputs/),
            }),
            source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
          }),
        ]);
        expect(fake.requests, type).toHaveLength(0);
      }
      const fake = fakeJudges();
      const rubric = await score(make({ judges: fake.judges, rubric: true }), args({ outputs: '' }));
      expect(rubric.map((f) => [f.name, f.error?.code, f.metadata?.rubric])).toEqual([
        [type, 'MISSING_OUTPUTS', '1-5'],
        [`${type}/pass`, 'MISSING_OUTPUTS', '1-5'],
      ]);
      expect(fake.requests).toHaveLength(0);
    }
  });

  it('relevance_to_query and completeness need inputs (MISSING_INPUTS); coherence and fluency do not', async () => {
    for (const make of [RelevanceToQuery, Completeness]) {
      const fake = fakeJudges();
      for (const inputs of [{}, { question: '' }, { question: '   ' }]) {
        const [feedback] = await score(make({ judges: fake.judges }), args({ inputs }));
        expect(feedback?.error?.code).toBe('MISSING_INPUTS');
        expect(feedback?.error?.message).toMatch(/needs inputs/);
      }
      expect(fake.requests).toHaveLength(0);
    }
    for (const make of [Coherence, Fluency]) {
      const fake = fakeJudges();
      const [feedback] = await score(make({ judges: fake.judges }), args({ inputs: {} }));
      expect(feedback?.value).toBe('yes');
      expect(fake.requests).toHaveLength(1);
    }
  });
});
