// hallucination with a scripted judge: which evidence the prompt carries (context, expectations, both),
// how the labelled claims become the value and rationale, and the rows it cannot score.
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import { Hallucination as fromPackage } from '../../src/index.js';
import { scorerRegistry } from '../../src/scorers/index.js';
import { Hallucination } from '../../src/scorers/judges/hallucination.js';
import { args, fakeJudges, score, span } from '../helpers/judge-scorer-fakes.js';

const question = 'When does the museum open?';
const context = 'The museum opens at 9 am and is closed on Mondays.';
const answer = 'The museum opens at 9 am every day. Entry is free.';
const twoOfThree = {
  rationale: 'The context says it is closed on Mondays and says nothing about the price.',
  result: [
    'SUPPORTED: The museum opens at 9 am.',
    'UNSUPPORTED: The museum is open every day.',
    'UNSUPPORTED: Entry to the museum is free.',
  ].join('\n'),
};

/** The text of the user message's `<tag>` section. */
function section(text: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1];
}

describe('hallucination', () => {
  it('checks the response against inputs.context and scores the supported fraction, naming the unsupported claims', async () => {
    const fake = fakeJudges(() => twoOfThree);
    const [feedback] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question, context }, outputs: answer }),
    );
    const user = fake.userText();
    expect(section(user, 'request')).toBe(question);
    expect(section(user, 'context')).toBe(`[1] ${context}`);
    expect(section(user, 'expected_facts')).toBe('(none)');
    expect(section(user, 'expected_response')).toBe('(none)');
    expect(section(user, 'response')).toBe(answer);
    expect(fake.requests[0]?.schema).toMatchObject({ properties: { result: { type: 'string' } } });
    expect(fake.requests[0]?.maxTokens).toBe(1024);
    expect(feedback).toMatchObject({
      name: 'hallucination',
      value: 1 / 3,
      source: { type: 'LLM_JUDGE', id: 'openai-compatible:/fake' },
      metadata: {
        supported_fraction: String(1 / 3),
        claims: '3',
        unsupported_claims: JSON.stringify(['The museum is open every day.', 'Entry to the museum is free.']),
        evidence: 'inputs.context',
        'mlflow.assessment.judgeInputTokens': '10',
      },
    });
    expect(feedback?.rationale).toBe(
      '1 of 3 claims are supported by the context; unsupported: "The museum is open every day."; "Entry to the museum is free.". The context says it is closed on Mondays and says nothing about the price.',
    );
  });

  it('takes the context from the RETRIEVER spans of the trace, all retrievals numbered together', async () => {
    const fake = fakeJudges(() => twoOfThree);
    const spans = [
      span({ spanId: 'r1', spanType: 'RETRIEVER', name: 'search', outputs: [{ page_content: context }] }),
      span({
        spanId: 'r2',
        spanType: 'RETRIEVER',
        name: 'prices',
        startTimeMs: 3,
        outputs: ['Tickets cost 12 euros.'],
      }),
    ];
    const [feedback] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question }, outputs: answer, spans }),
    );
    expect(section(fake.userText(), 'context')).toBe(`[1] ${context}\n\n[2] Tickets cost 12 euros.`);
    expect(feedback?.metadata?.evidence).toBe('span search, span prices');
  });

  it('checks against expected_facts and expected_response when the row has no context', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'All backed.',
      result: 'SUPPORTED: The museum opens at 9 am.',
    }));
    const [feedback] = await score(
      Hallucination({ judges: fake.judges }),
      args({
        inputs: { question },
        outputs: 'It opens at 9 am.',
        expectations: {
          expected_facts: ['opens at 9 am', 'closed on Mondays'],
          expected_response: 'At 9 am.',
        },
      }),
    );
    const user = fake.userText();
    expect(section(user, 'context')).toBe('(none)');
    expect(section(user, 'expected_facts')).toBe('- opens at 9 am\n- closed on Mondays');
    expect(section(user, 'expected_response')).toBe('At 9 am.');
    expect(feedback).toMatchObject({
      value: 1,
      rationale: '1 of 1 claims are supported by the expectations. All backed.',
      metadata: {
        unsupported_claims: '[]',
        evidence: 'expectations.expected_facts, expectations.expected_response',
      },
    });
  });

  it('auto uses both when the row has both; evidence: context or expectations picks one', async () => {
    const row = () =>
      args({
        inputs: { question, context },
        outputs: answer,
        expectations: { expected_facts: 'closed on Mondays' },
      });
    const both = fakeJudges(() => twoOfThree);
    const [auto] = await score(Hallucination({ judges: both.judges }), row());
    expect(section(both.userText(), 'context')).toBe(`[1] ${context}`);
    expect(section(both.userText(), 'expected_facts')).toBe('closed on Mondays');
    expect(auto?.rationale).toMatch(/^1 of 3 claims are supported by the context and expectations;/);
    expect(auto?.metadata?.evidence).toBe('inputs.context, expectations.expected_facts');

    const onlyContext = fakeJudges(() => twoOfThree);
    await score(Hallucination({ judges: onlyContext.judges, evidence: 'context' }), row());
    expect(section(onlyContext.userText(), 'context')).toBe(`[1] ${context}`);
    expect(section(onlyContext.userText(), 'expected_facts')).toBe('(none)');

    const onlyExpectations = fakeJudges(() => twoOfThree);
    await score(Hallucination({ judges: onlyExpectations.judges, evidence: 'expectations' }), row());
    const user = onlyExpectations.userText();
    expect(section(user, 'context')).toBe('(none)');
    expect(section(user, 'expected_facts')).toBe('closed on Mondays');
    // the context is evidence or nothing: never shown as part of the request
    expect(section(user, 'request')).toBe(question);
    expect(user).not.toContain(context);
  });

  it('leaves the retrieved context recorded in the outputs out of the response', async () => {
    const fake = fakeJudges(() => twoOfThree);
    await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question }, outputs: { answer, retrieved_context: [context] } }),
    );
    expect(section(fake.userText(), 'response')).toBe(answer);
    expect(section(fake.userText(), 'context')).toBe(`[1] ${context}`);
  });

  it('with threshold, the value is whether the fraction reaches it', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'r',
      result: 'SUPPORTED: a\nSUPPORTED: b\nUNSUPPORTED: c\nSUPPORTED: d',
    }));
    const row = () => args({ inputs: { question, context }, outputs: answer });
    const [pass] = await score(Hallucination({ judges: fake.judges, threshold: 0.75 }), row());
    expect(pass).toMatchObject({ value: true, metadata: { supported_fraction: '0.75', claims: '4' } });
    const [fail] = await score(Hallucination({ judges: fake.judges, threshold: 1 }), row());
    expect(fail?.value).toBe(false);
  });

  it('parses the labels small judges write (list markers, bold, NOT SUPPORTED)', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'r',
      result: 'Claims:\n1. **SUPPORTED**: The museum opens at 9 am.\n- Not supported - Entry is free.',
    }));
    const [feedback] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question, context }, outputs: answer }),
    );
    expect(feedback).toMatchObject({
      value: 0.5,
      metadata: { unsupported_claims: JSON.stringify(['Entry is free.']) },
    });
  });

  it('does not score a response without factual claims (NO_CLAIMS, or an empty result); an unlabelled result is invalid', async () => {
    const row = () => args({ inputs: { question, context }, outputs: "I don't know." });
    const none = fakeJudges(() => ({
      rationale: 'The response only says it does not know.',
      result: 'NO_CLAIMS',
    }));
    const [abstained] = await score(Hallucination({ judges: none.judges, threshold: 1 }), row());
    expect(abstained).toMatchObject({ value: null, error: { code: 'NO_CLAIMS' } });
    expect(abstained?.error?.message).toContain('no factual claims');
    expect(abstained?.metadata?.['mlflow.assessment.judgeOutputTokens']).toBe('5');
    const bold = fakeJudges(() => ({ rationale: 'r', result: '**No claims**' }));
    expect((await score(Hallucination({ judges: bold.judges }), row()))[0]?.error?.code).toBe('NO_CLAIMS');
    const empty = fakeJudges(() => ({ rationale: 'r', result: '' }));
    expect((await score(Hallucination({ judges: empty.judges }), row()))[0]?.error?.code).toBe('NO_CLAIMS');

    const prose = fakeJudges(() => ({ rationale: 'fine', result: 'The response is grounded.' }));
    const [unlabelled] = await score(Hallucination({ judges: prose.judges }), row());
    expect(unlabelled).toMatchObject({ value: null, error: { code: 'JUDGE_OUTPUT_INVALID' } });
    expect(unlabelled?.error?.message).toContain('The response is grounded.');
    expect(unlabelled?.metadata?.['mlflow.assessment.judgeOutputTokens']).toBe('5');
    const broken = fakeJudges(() => 'not json');
    const [unparsed] = await score(Hallucination({ judges: broken.judges }), row());
    expect(unparsed?.error?.code).toBe('JUDGE_OUTPUT_INVALID');
  });

  it('rejects claims that are not in the response (a small judge repeating the example), never counting them', async () => {
    const row = () => args({ inputs: { question, context }, outputs: answer });
    // what Gemma 3 270M did: the prompt's example reply, whatever the row
    const echo = fakeJudges(() => ({
      rationale: 'The context does not say the crossing is free.',
      result:
        'SUPPORTED: The Varnhold ferry leaves Kessby at 6:55.\nUNSUPPORTED: The Varnhold ferry crossing is free.',
    }));
    const [echoed] = await score(Hallucination({ judges: echo.judges }), row());
    expect(echoed).toMatchObject({ value: null, error: { code: 'JUDGE_OUTPUT_INVALID' } });
    expect(echoed?.error?.message).toContain('"The Varnhold ferry leaves Kessby at 6:55."');
    // one invented claim among real ones is enough
    const mixed = fakeJudges(() => ({
      rationale: 'r',
      result: 'SUPPORTED: The museum opens at 9 am.\nUNSUPPORTED: Parking costs 4 euros.',
    }));
    expect((await score(Hallucination({ judges: mixed.judges }), row()))[0]?.error?.code).toBe(
      'JUDGE_OUTPUT_INVALID',
    );
    // a claim spelled out from the request ("Yes." confirms the question) or inflected differently is fine
    const confirmed = fakeJudges(() => ({
      rationale: 'r',
      result: 'UNSUPPORTED: The museum is opened on Mondays.\nSUPPORTED: The museum opens at nine.',
    }));
    const [yes] = await score(
      Hallucination({ judges: confirmed.judges }),
      args({ inputs: { question: 'Is the museum open on Mondays?', context }, outputs: 'Yes, from 9.' }),
    );
    expect(yes).toMatchObject({ value: 0.5 });
  });

  it('without evidence or output it is an error feedback naming the fields, and no call is made', async () => {
    const fake = fakeJudges(() => twoOfThree);
    const [noEvidence] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question }, outputs: answer }),
    );
    expect(noEvidence).toMatchObject({ value: null, error: { code: 'MISSING_CONTEXT' } });
    for (const field of [
      'RETRIEVER span',
      'outputs.retrieved_context',
      'inputs.retrieved_context',
      'inputs.context',
      'expectations.retrieved_context',
      'expectations.expected_facts',
      'expectations.expected_response',
    ])
      expect(noEvidence?.error?.message).toContain(field);

    // evidence: context ignores expectations; evidence: expectations ignores the context
    const [contextOnly] = await score(
      Hallucination({ judges: fake.judges, evidence: 'context' }),
      args({ inputs: { question }, outputs: answer, expectations: { expected_facts: ['x'] } }),
    );
    expect(contextOnly?.error?.code).toBe('MISSING_CONTEXT');
    expect(contextOnly?.error?.message).toContain('inputs.context');
    expect(contextOnly?.error?.message).not.toContain('expected_facts');
    const [expectationsOnly] = await score(
      Hallucination({ judges: fake.judges, evidence: 'expectations' }),
      args({ inputs: { question, context }, outputs: answer }),
    );
    expect(expectationsOnly?.error?.code).toBe('MISSING_CONTEXT');
    expect(expectationsOnly?.error?.message).toContain(
      'expectations.expected_facts or expectations.expected_response',
    );
    expect(expectationsOnly?.error?.message).not.toContain('inputs.context');

    const [noOutput] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question, context }, outputs: '  ' }),
    );
    expect(noOutput).toMatchObject({ value: null, error: { code: 'MISSING_OUTPUTS' } });
    expect(noOutput?.error?.message).toContain('outputs');
    // empty evidence is no evidence
    const [emptyEvidence] = await score(
      Hallucination({ judges: fake.judges }),
      args({ inputs: { question, context: ' ' }, outputs: answer, expectations: { expected_facts: [] } }),
    );
    expect(emptyEvidence?.error?.code).toBe('MISSING_CONTEXT');
    expect(fake.requests).toHaveLength(0);
  });

  it('is built from the eval file with its options, rejects bad ones, and is exported', async () => {
    const fake = fakeJudges(() => ({ rationale: 'r', result: 'SUPPORTED: a\nUNSUPPORTED: b' }));
    const buildContext = { baseDir: process.cwd(), env: readEnv({}), judges: fake.judges };
    const scorer = await scorerRegistry().create(
      { type: 'hallucination', name: 'grounded', threshold: 0.5, evidence: 'context', max_tokens: 300 },
      buildContext,
      { field: 'scorers[0]' },
    );
    const [feedback] = await score(scorer, args({ inputs: { question, context }, outputs: answer }));
    expect(feedback).toMatchObject({ name: 'grounded', value: true });
    expect(fake.requests[0]?.maxTokens).toBe(300);
    const bare = await scorerRegistry().create('hallucination', buildContext, { field: 'scorers[1]' });
    expect((await score(bare, args({ inputs: { question, context }, outputs: answer })))[0]?.value).toBe(0.5);
    await expect(
      scorerRegistry().create({ type: 'hallucination', threshold: 2 }, buildContext, { field: 'scorers[2]' }),
    ).rejects.toThrow(/scorers\[2\]\.threshold/);
    await expect(
      scorerRegistry().create({ type: 'hallucination', evidence: 'source' }, buildContext, {
        field: 'scorers[3]',
      }),
    ).rejects.toThrow(/scorers\[3\]\.evidence/);
    expect(() => Hallucination({ threshold: -1 })).toThrow(ConfigError);
    expect(fromPackage).toBe(Hallucination);
  });
});
