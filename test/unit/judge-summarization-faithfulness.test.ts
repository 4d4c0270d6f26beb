// summarization_faithfulness with a scripted judge: what the prompt carries, how the labelled claims
// become the value and rationale, and the rows it cannot score.
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { SummarizationFaithfulness as fromPackage } from '../../src/index.js';
import { scorerRegistry } from '../../src/scorers/index.js';
import {
  parseClaims,
  SummarizationFaithfulness,
} from '../../src/scorers/judges/summarization-faithfulness.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

const source = 'The council approved the park on Monday. Work starts in May and costs 2 million euros.';
const summary = 'The council approved a park. Work starts in June. The mayor opposed it.';
const row = () => args({ inputs: { text: source }, outputs: summary });

describe('summarization_faithfulness', () => {
  it('sends source and summary in tags and scores the supported fraction, naming the unsupported claims', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'The start month is wrong and the mayor is not mentioned.',
      result: [
        'SUPPORTED: The council approved a park.',
        'UNSUPPORTED: Work starts in June.',
        'UNSUPPORTED: The mayor opposed the park.',
      ].join('\n'),
    }));
    const scorer = SummarizationFaithfulness({ judges: fake.judges });
    const [feedback] = await score(scorer, row());
    expect(fake.userText()).toContain(`<source>\n${source}\n</source>`);
    expect(fake.userText()).toContain(`<summary>\n${summary}\n</summary>`);
    expect(fake.requests[0]?.schema).toMatchObject({ properties: { result: { type: 'string' } } });
    expect(fake.requests[0]?.maxTokens).toBe(1024);
    expect(feedback).toMatchObject({
      name: 'summarization_faithfulness',
      value: 1 / 3,
      source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
      metadata: {
        supported_fraction: String(1 / 3),
        claims: '3',
        unsupported_claims: JSON.stringify(['Work starts in June.', 'The mayor opposed the park.']),
        'mlflow.assessment.judgeInputTokens': '10',
      },
    });
    expect(feedback?.rationale).toBe(
      '1 of 3 claims are supported by the source; unsupported: "Work starts in June."; "The mayor opposed the park.". The start month is wrong and the mayor is not mentioned.',
    );
  });

  it('with threshold, the value is whether the fraction reaches it', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'r',
      result: 'SUPPORTED: a\nSUPPORTED: b\nUNSUPPORTED: c\nSUPPORTED: d',
    }));
    const [pass] = await score(SummarizationFaithfulness({ judges: fake.judges, threshold: 0.75 }), row());
    expect(pass).toMatchObject({ value: true, metadata: { supported_fraction: '0.75' } });
    const [fail] = await score(SummarizationFaithfulness({ judges: fake.judges, threshold: 0.8 }), row());
    expect(fail?.value).toBe(false);
  });

  it('reads the labels small judges write: list markers, bold, "NOT SUPPORTED", other dashes', () => {
    expect(
      parseClaims(
        [
          'Claims:',
          '1. **SUPPORTED**: The council approved a park.',
          '- Not supported - Work starts in June.',
          '* unsupported — The mayor opposed it.',
          '',
          'supported:x',
        ].join('\n'),
      ),
    ).toEqual([
      { claim: 'The council approved a park.', supported: true },
      { claim: 'Work starts in June.', supported: false },
      { claim: 'The mayor opposed it.', supported: false },
      { claim: 'x', supported: true },
    ]);
  });

  it('cannot score an empty summary (no call), an empty source, or a result without labelled claims', async () => {
    const fake = fakeJudges(() => ({ rationale: 'looks fine', result: 'The summary is faithful.' }));
    const scorer = SummarizationFaithfulness({ judges: fake.judges });
    const [empty] = await score(scorer, args({ inputs: { text: source }, outputs: '  ' }));
    expect(empty).toMatchObject({ value: null, error: { code: 'NO_CLAIMS' } });
    const [noSource] = await score(scorer, args({ inputs: { text: '' }, outputs: summary }));
    expect(noSource?.error?.code).toBe('MISSING_INPUTS');
    expect(fake.requests).toHaveLength(0);
    const [invalid] = await score(scorer, row());
    expect(invalid).toMatchObject({ value: null, error: { code: 'JUDGE_OUTPUT_INVALID' } });
    expect(invalid?.error?.message).toContain('The summary is faithful.');
    expect(invalid?.metadata?.['mlflow.assessment.judgeOutputTokens']).toBe('5');
    const none = fakeJudges(() => ({ rationale: 'no claims', result: '' }));
    const [noClaims] = await score(SummarizationFaithfulness({ judges: none.judges }), row());
    expect(noClaims?.error?.code).toBe('NO_CLAIMS');
    const broken = fakeJudges(() => 'not json');
    const [unparsed] = await score(SummarizationFaithfulness({ judges: broken.judges }), row());
    expect(unparsed?.error?.code).toBe('JUDGE_OUTPUT_INVALID');
  });

  it('is built from the eval file with its options, rejects a threshold outside 0..1, and is exported', async () => {
    const fake = fakeJudges(() => ({ rationale: 'r', result: 'SUPPORTED: a\nUNSUPPORTED: b' }));
    const context = { baseDir: process.cwd(), env: readEnv({}), judges: fake.judges };
    const scorer = await scorerRegistry().create(
      { type: 'summarization_faithfulness', name: 'faithful', threshold: 0.5, max_tokens: 300 },
      context,
      { field: 'scorers[0]' },
    );
    const [feedback] = await score(scorer, row());
    expect(feedback).toMatchObject({ name: 'faithful', value: true });
    expect(fake.requests[0]?.maxTokens).toBe(300);
    await expect(
      scorerRegistry().create({ type: 'summarization_faithfulness', threshold: 2 }, context, {
        field: 'scorers[1]',
      }),
    ).rejects.toThrow(/scorers\[1\]\.threshold/);
    expect(() => SummarizationFaithfulness({ threshold: -1 })).toThrow(ConfigError);
    expect(fromPackage).toBe(SummarizationFaithfulness);
    // MLflow's own summarization judge stays as it was.
    expect(scorerRegistry().get('summarization')?.type).toBe('summarization');
  });
});
