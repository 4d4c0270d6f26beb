// The instruction_following judge: where it reads the instructions, what the judge is shown, the
// verdict and rationale it returns, the eval-file entry, and rows it cannot judge (no judge call).
import { describe, expect, it } from 'vitest';
import { InstructionFollowing } from '../../src/index.js';
import { scorerRegistry } from '../../src/scorers/index.js';
import { args, fakeJudges, score } from '../helpers/judge-scorer-fakes.js';

describe('instruction_following judge', () => {
  it('judges the row instructions (expectations, else inputs) and returns yes/no with the rationale', async () => {
    const fake = fakeJudges(() => ({
      rationale: 'Not followed: "three bullet points" (two given).',
      result: 'no',
    }));
    const [feedback] = await score(
      InstructionFollowing({ judges: fake.judges }),
      args({
        inputs: { question: 'List MLflow features.' },
        outputs: '- tracking\n- models',
        expectations: { instructions: ['Answer in three bullet points', 'Do not mention prices'] },
      }),
    );
    expect(feedback).toMatchObject({
      name: 'instruction_following',
      value: 'no',
      rationale: 'Not followed: "three bullet points" (two given).',
      source: { type: 'LLM_JUDGE' },
      metadata: { instructions: 'Answer in three bullet points\nDo not mention prices' },
    });
    const user = fake.userText();
    expect(user).toContain(
      '<instructions>\n- Answer in three bullet points\n- Do not mention prices\n</instructions>',
    );
    expect(user).toContain('List MLflow features.');
    expect(user).toContain('- tracking\n- models');
    expect(fake.requests[0]?.schema).toMatchObject({ properties: { result: { enum: ['yes', 'no'] } } });

    const fromInputs = fakeJudges();
    const [yes] = await score(
      InstructionFollowing({ judges: fromInputs.judges }),
      args({ inputs: { question: 'Hi', instructions: 'Reply in French.' }, outputs: 'Bonjour' }),
    );
    expect(yes).toMatchObject({ value: 'yes', metadata: { instructions: 'Reply in French.' } });
    expect(fromInputs.userText()).toContain('<instructions>\nReply in French.\n</instructions>');
  });

  it('uses the instructions option for every row, and errors without any instructions (no call)', async () => {
    const fake = fakeJudges();
    await score(InstructionFollowing({ judges: fake.judges, instructions: 'Be brief.' }), args());
    expect(fake.userText()).toContain('<instructions>\nBe brief.\n</instructions>');
    const [missing] = await score(InstructionFollowing({ judges: fake.judges }), args());
    expect(missing?.error?.code).toBe('MISSING_EXPECTATION');
    expect(missing?.error?.message).toMatch(/expectations.instructions or inputs.instructions/);
    expect(fake.requests).toHaveLength(1);
  });

  it('is an eval-file scorer type with validated options', () => {
    const registry = scorerRegistry();
    const parsed = registry.parse(
      { type: 'instruction_following', instructions: ['Use JSON'] },
      { field: 'scorers[0]' },
    );
    expect(parsed.definition.type).toBe('instruction_following');
    expect(() =>
      registry.parse({ type: 'instruction_following', instructions: '' }, { field: 'scorers[0]' }),
    ).toThrow(/instruction text/);
  });
});
