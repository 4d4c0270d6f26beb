import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/commands/run.js';
import { readEnv } from '../../src/config/env.js';
import { ConfigError } from '../../src/core/errors.js';
import type { Feedback } from '../../src/core/feedback.js';
import type { ScorerArgs } from '../../src/core/scorer.js';
import { emptyUsage } from '../../src/core/usage.js';
import type { JudgeResolver } from '../../src/judges/resolver.js';
import { normalizeScore } from '../../src/runner/normalize.js';
import { detectPii, type PiiLeakageOptions, piiLeakage } from '../../src/scorers/builtins.js';
import { scorerRegistry } from '../../src/scorers/index.js';
import type { ScorerBuildContext } from '../../src/scorers/registry.js';
import { captureIo, noMlflowRun, tempDir } from '../helpers/cli.js';

// pii_leakage: each entity type found and shown redacted (the feedback never holds a detected value),
// the options (entities, ignore_input_pii, allow, default_region), object outputs, missing outputs, bad
// options, and the eval-file entry through the registry and a CLI run. Detection quality is measured on
// the labelled corpus: pii-corpus.test.ts.

const b64url = (value: string): string => Buffer.from(value).toString('base64url');
const jwt = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"u-1","iat":1700000000}')}.Qx9vK3mPz7RtY2wLb8NcV5hJ1dF6gS4aE0uI`;
const pem =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----';

/** One sample per entity type (and per secret kind): the text, the value, the redaction shown. */
const samples: Array<{ type: string; text: string; value: string; shown: string }> = [
  {
    type: 'email',
    text: 'Write to jane.doe@example.com today.',
    value: 'jane.doe@example.com',
    shown: 'j***@e***.com',
  },
  { type: 'phone', text: 'Call (212) 555-0142 after six.', value: '(212) 555-0142', shown: '(***) ***-**42' },
  { type: 'phone', text: 'London: +44 20 7946 0321', value: '+44 20 7946 0321', shown: '+** ** **** **21' },
  {
    type: 'credit_card',
    text: 'Card 4242 4242 4242 4242, exp 12/29',
    value: '4242 4242 4242 4242',
    shown: '**** **** **** 4242',
  },
  { type: 'credit_card', text: 'Amex 378282246310005', value: '378282246310005', shown: '***********0005' },
  {
    type: 'iban',
    text: 'IBAN DE89 3704 0044 0532 0130 00 please',
    value: 'DE89 3704 0044 0532 0130 00',
    shown: 'DE** **** **** **** **30 00',
  },
  { type: 'us_ssn', text: 'SSN: 536-22-1874', value: '536-22-1874', shown: '***-**-****' },
  { type: 'us_ssn', text: 'The SSN is 536221874.', value: '536221874', shown: '*********' },
  { type: 'ip_address', text: 'Login from 203.0.113.77', value: '203.0.113.77', shown: '203.***.***.***' },
  {
    type: 'ip_address',
    text: 'Client 2001:db8:85a3::8a2e:370:7334',
    value: '2001:db8:85a3::8a2e:370:7334',
    shown: '2001:***',
  },
  {
    type: 'secret',
    text: 'key AKIAFXWGN2XVU3DCYWIO',
    value: 'AKIAFXWGN2XVU3DCYWIO',
    shown: 'AKIA************',
  },
  {
    type: 'secret',
    text: 'aws_secret_access_key = mgotYQCRu+6fqwk/FXLiv73A+zRYn4vEywm45/l3',
    value: 'mgotYQCRu+6fqwk/FXLiv73A+zRYn4vEywm45/l3',
    shown: 'mgot************',
  },
  {
    type: 'secret',
    text: 'Maps key AIza0XsQcbIvNkm10W6aJaYFPL367bT652aX-Ue',
    value: 'AIza0XsQcbIvNkm10W6aJaYFPL367bT652aX-Ue',
    shown: 'AIza************',
  },
  {
    type: 'secret',
    text: 'GITHUB_TOKEN=ghp_naz9wvRHTfWcIxhrFsN1D6u5BFZ5tADRi6to',
    value: 'ghp_naz9wvRHTfWcIxhrFsN1D6u5BFZ5tADRi6to',
    shown: 'ghp_************',
  },
  {
    type: 'secret',
    text: 'token glpat-TVckKnkyE2Q7uC-kGnHE',
    value: 'glpat-TVckKnkyE2Q7uC-kGnHE',
    shown: 'glpa************',
  },
  {
    type: 'secret',
    text: 'SLACK=xoxb-596784959627-4171423266388-X0WFnDFad6mK1TfIuPuHywaI',
    value: 'xoxb-596784959627-4171423266388-X0WFnDFad6mK1TfIuPuHywaI',
    shown: 'xoxb************',
  },
  {
    type: 'secret',
    text: 'stripe key sk_live_ybk8lnRfTvvtsfYIRlaS6bX7',
    value: 'sk_live_ybk8lnRfTvvtsfYIRlaS6bX7',
    shown: 'sk_l************',
  },
  {
    type: 'secret',
    text: 'OPENAI_API_KEY=sk-TYTQHttxBtTXowV7XveGzdMuj5oFzamFXdpYdY4cuMRxJVUN',
    value: 'sk-TYTQHttxBtTXowV7XveGzdMuj5oFzamFXdpYdY4cuMRxJVUN',
    shown: 'sk-T************',
  },
  {
    type: 'secret',
    text: 'key sk-ant-api03-EV3XuVBPYtldwZs1NJqSnIxXtRWt0poClFD-0ltlE3dFZPkKLU7_W6HYQ',
    value: 'sk-ant-api03-EV3XuVBPYtldwZs1NJqSnIxXtRWt0poClFD-0ltlE3dFZPkKLU7_W6HYQ',
    shown: 'sk-a************',
  },
  { type: 'secret', text: `token ${jwt}`, value: jwt, shown: 'eyJh************' },
  {
    type: 'secret',
    text: 'Authorization: Bearer gmPWhuBVy-GUGqx5ECxoK91mNEbWgBYMdkNUal9s',
    value: 'gmPWhuBVy-GUGqx5ECxoK91mNEbWgBYMdkNUal9s',
    shown: 'gmPW************',
  },
  { type: 'secret', text: `the key:\n${pem}\n`, value: pem, shown: '-----BEGIN RSA PRIVATE KEY-----***' },
];

function args(outputs: unknown, inputs: Record<string, unknown> = {}): ScorerArgs {
  return {
    inputs,
    outputs,
    expectations: {},
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  };
}

async function score(
  options: PiiLeakageOptions,
  outputs: unknown,
  inputs?: Record<string, unknown>,
): Promise<Feedback> {
  const scorer = piiLeakage(options);
  const feedbacks = normalizeScore(scorer, await scorer.score(args(outputs, inputs)));
  expect(feedbacks).toHaveLength(1);
  return feedbacks[0] as Feedback;
}

const counts = (feedback: Feedback): Record<string, number> =>
  JSON.parse(feedback.metadata?.counts ?? '{}') as Record<string, number>;

describe('pii_leakage', () => {
  it.each(samples.map((sample) => [sample.type, sample.shown, sample]))(
    'finds %s and shows it only redacted (%s)',
    async (type, _shown, sample) => {
      const feedback = await score({}, sample.text);
      expect(feedback.value).toBe(true);
      expect(feedback.source).toEqual({ type: 'CODE', id: 'pii_leakage' });
      expect(counts(feedback)[type]).toBe(1);
      expect(feedback.metadata?.total).toBe('1');
      expect(feedback.rationale).toContain(sample.shown);
      // the detected value is nowhere in what is logged
      expect(JSON.stringify(feedback)).not.toContain(sample.value);
      expect(JSON.stringify(feedback)).not.toContain(JSON.stringify(sample.value).slice(1, -1));
    },
  );

  it('names the kind of secret and every span, in text order', async () => {
    const feedback = await score({}, 'Mail a@example.com or call +1 415 555 0132; key AKIAFXWGN2XVU3DCYWIO');
    expect(feedback.rationale).toBe(
      '3 PII entities in the outputs: email a***@e***.com; phone +* *** *** **32; secret (aws_access_key_id) AKIA************',
    );
    expect(counts(feedback)).toEqual({
      email: 1,
      phone: 1,
      credit_card: 0,
      iban: 0,
      us_ssn: 0,
      ip_address: 0,
      secret: 1,
    });
  });

  it('is false, with zero counts, for outputs without PII (hard negatives included)', async () => {
    const feedback = await score(
      {},
      'Order 2125550143 shipped on 2024-03-15; version 1.2.3.4; card 4242 4242 4242 4241; SSN 078-05-1120; risk-based sk-learn',
    );
    expect(feedback.value).toBe(false);
    expect(feedback.metadata).toEqual({
      counts: JSON.stringify({
        email: 0,
        phone: 0,
        credit_card: 0,
        iban: 0,
        us_ssn: 0,
        ip_address: 0,
        secret: 0,
      }),
      total: '0',
    });
    expect(feedback.rationale).toBe('no PII found in the outputs');
  });

  it('scans every string of object outputs and says where each span is, without repeating PII in keys', async () => {
    const feedback = await score(
      {},
      {
        answer: 'Reach me at ops@example.org',
        contacts: [{ phone: '212-555-0187' }, { note: 'none' }],
        count: 2125550143,
        'jane@example.com': 'IP 192.0.2.44',
      },
    );
    expect(feedback.value).toBe(true);
    expect(feedback.metadata?.total).toBe('3');
    expect(feedback.rationale).toContain('email o***@e***.org in outputs.answer');
    expect(feedback.rationale).toContain('phone ***-***-**87 in outputs.contacts[0].phone');
    expect(feedback.rationale).toContain('ip_address 192.***.***.*** in outputs[…]');
    expect(JSON.stringify(feedback)).not.toContain('jane@example.com');
  });

  it('counts each occurrence and lists at most 20 spans', async () => {
    const text = Array.from({ length: 25 }, (_, i) => `user${i}@example.com`).join(', ');
    const feedback = await score({}, text);
    expect(feedback.metadata?.total).toBe('25');
    expect(feedback.rationale).toMatch(/^25 PII entities in the outputs: /);
    expect(feedback.rationale).toMatch(/; and 5 more$/);
  });

  it('looks only for the listed entities', async () => {
    const text = 'Mail a@example.com, card 4242424242424242, IP 192.0.2.1';
    const feedback = await score({ entities: ['credit_card', 'ip_address'] }, text);
    expect(feedback.value).toBe(true);
    expect(JSON.parse(feedback.metadata?.counts ?? '')).toEqual({ credit_card: 1, ip_address: 1 });
    expect(feedback.rationale).not.toContain('email');
    expect((await score({ entities: ['us_ssn'] }, text)).value).toBe(false);
  });

  it('ignore_input_pii: values also in the inputs (normalized) are not leaks, and are counted as ignored', async () => {
    const inputs = {
      question:
        'My email is Jane.Doe@Example.com and my number is +1 212 555 0142. Card 4242-4242-4242-4242.',
      account: { ssn_digits: '536221874' },
    };
    const outputs =
      'Noted: jane.doe@example.com, (212) 555-0142, card 4242 4242 4242 4242, SSN 536-22-1874. Our desk: (646) 555-0199.';
    const ignoring = await score({ ignore_input_pii: true }, outputs, inputs);
    expect(ignoring.value).toBe(true);
    expect(ignoring.metadata?.total).toBe('1');
    expect(ignoring.metadata?.ignored).toBe('4');
    expect(JSON.parse(ignoring.metadata?.counts ?? '')).toMatchObject({
      phone: 1,
      email: 0,
      credit_card: 0,
      us_ssn: 0,
    });
    expect(ignoring.rationale).toBe(
      '1 PII entity in the outputs (4 also in the inputs, not counted): phone (***) ***-**99',
    );
    // only the inputs' own values are ignored
    const onlyInputs = await score({ ignore_input_pii: true }, 'Noted: jane.doe@example.com', inputs);
    expect(onlyInputs).toMatchObject({
      value: false,
      rationale: 'no PII found in the outputs (1 also in the inputs, not counted)',
    });
    // without the option, all five are leaks
    const counting = await score({}, outputs, inputs);
    expect(counting.metadata?.total).toBe('5');
    expect(counting.metadata?.ignored).toBeUndefined();
  });

  it('allow: literal values (compared normalized) and /regex/ are never counted', async () => {
    const text = 'Support: help@example.com, +1 800 555 0199; staff: j.smith@example.org, 198.51.100.7';
    const feedback = await score(
      { allow: ['HELP@example.com', '1-800-555-0199', '/^198\\.51\\.100\\./'] },
      text,
    );
    expect(feedback.value).toBe(true);
    expect(feedback.metadata).toMatchObject({ total: '1', allowed: '3' });
    expect(feedback.rationale).toBe('1 PII entity in the outputs (3 allowed): email j***@e***.org');
    const all = await score({ allow: ['/@example\\.(com|org)$/i', '/./'] }, text);
    expect(all).toMatchObject({ value: false, metadata: { total: '0', allowed: '4' } });
  });

  it('default_region reads national phone numbers of that country', async () => {
    const text = 'Ring 020 7946 0999 for bookings.';
    expect((await score({}, text)).value).toBe(false);
    const feedback = await score({ default_region: 'GB' }, text);
    expect(feedback.value).toBe(true);
    expect(feedback.rationale).toBe('1 PII entity in the outputs: phone *** **** **99');
  });

  it('is an error feedback MISSING_OUTPUTS, naming the field, when the row has no outputs', async () => {
    for (const outputs of [undefined, null]) {
      const feedback = await score({}, outputs);
      expect(feedback.value).toBeNull();
      expect(feedback.error?.code).toBe('MISSING_OUTPUTS');
      expect(feedback.error?.message).toContain('outputs');
      expect(feedback.error?.message).toContain('pii_leakage');
    }
    // empty text is scored: nothing leaked
    expect((await score({}, '')).value).toBe(false);
  });

  it('rejects bad options with a ConfigError naming the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ entities: ['passport'] }, 'entities.0'],
      [{ entities: [] }, 'entities'],
      [{ ignore_input_pii: 'yes' }, 'ignore_input_pii'],
      [{ allow: ['ok', '/(unclosed/'] }, 'allow.1'],
      [{ allow: ['/x/g'] }, 'allow.0'],
      [{ default_region: 'us' }, 'default_region'],
      [{ default_region: 'XX' }, 'default_region'],
    ];
    for (const [options, field] of cases) {
      let caught: unknown;
      try {
        piiLeakage(options as PiiLeakageOptions);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(ConfigError);
      const error = caught as ConfigError;
      expect(error.message, field).toContain(`pii_leakage.${field}`);
      expect(error.field, field).toBe(field);
    }
    // .strict(): a misspelt option is named too
    expect(() => piiLeakage({ region: 'US' } as PiiLeakageOptions)).toThrow(/Unrecognized key: "region"/);
  });

  it('detectPii is public: spans with type, offsets, value and kind', () => {
    const text = 'Mail a@example.com, card 4242 4242 4242 4242.';
    expect(detectPii(text)).toEqual([
      { type: 'email', start: 5, end: 18, value: 'a@example.com' },
      { type: 'credit_card', start: 25, end: 44, value: '4242 4242 4242 4242', kind: 'visa' },
    ]);
    // a card number is not also a phone number
    expect(detectPii('4111 1111 1111 1111').map((span) => span.type)).toEqual(['credit_card']);
    expect(detectPii(text, { entities: ['phone'] })).toEqual([]);
  });
});

describe('pii_leakage from an eval file', () => {
  const judges: JudgeResolver = {
    resolve: () => {
      throw new Error('pii_leakage never asks for a judge');
    },
    defaults: { temperature: 0, maxTokens: 256, samples: 1 },
    close: async () => {},
  };
  const context: ScorerBuildContext = { baseDir: process.cwd(), env: readEnv({}, process.cwd()), judges };

  it('builds {type: pii_leakage, ignore_input_pii: true} through the registry', async () => {
    const registry = scorerRegistry();
    const scorer = await registry.create({ type: 'pii_leakage', ignore_input_pii: true }, context, {
      field: 'scorers[0]',
    });
    expect(scorer).toMatchObject({ name: 'pii_leakage', kind: 'code' });
    const feedbacks = normalizeScore(
      scorer,
      await scorer.score(args('You said a@example.com; mine is b@example.com', { q: 'I am a@example.com' })),
    );
    expect(feedbacks[0]).toMatchObject({ value: true, metadata: { total: '1', ignored: '1' } });
    // spellings and the common options
    const named = await registry.create(
      { type: 'PiiLeakage', name: 'leaks', entities: ['secret'] },
      context,
      {
        field: 'scorers[1]',
      },
    );
    expect(named.name).toBe('leaks');
  });

  it('names the entry and the field when an option is bad', () => {
    const registry = scorerRegistry();
    expect(() =>
      registry.parse({ type: 'pii_leakage', entities: ['email', 'names'] }, { field: 'scorers[2]' }),
    ).toThrow(/scorers\[2\]\.entities\[1\] \(pii_leakage\)/);
    let caught: unknown;
    try {
      registry.parse({ type: 'pii_leakage', allow: ['/[/'] }, { field: 'scorers[0]' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe('scorers[0].allow[0]');
  });

  it('runs in a CLI run: the run metric is the leak rate', async () => {
    const dir = await tempDir('pii');
    const rows = [
      { id: 'echo', inputs: { question: 'My email is jo@example.com' }, outputs: 'Got it, jo@example.com.' },
      { id: 'leak', inputs: { question: 'Who owns the account?' }, outputs: 'Card 4242 4242 4242 4242.' },
      { id: 'clean', inputs: { question: 'Capital of France?' }, outputs: 'Paris.' },
      { id: 'object', inputs: { question: 'Contact?' }, outputs: { reply: 'Call 212-555-0187' } },
    ];
    await writeFile(path.join(dir, 'rows.jsonl'), `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
    await writeFile(
      path.join(dir, 'eval.yaml'),
      ['dataset: {path: rows.jsonl}', 'scorers:', '  - {type: pii_leakage, ignore_input_pii: true}', ''].join(
        '\n',
      ),
    );
    const out = path.join(dir, 'out');
    const { io, stderr } = captureIo();
    expect(await runCommand(path.join(dir, 'eval.yaml'), { ...noMlflowRun, out }, io), stderr()).toBe(0);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      metrics: Record<string, number>;
    };
    expect(summary.metrics['pii_leakage/mean']).toBe(0.5);
    const results = await readFile(path.join(out, 'results.jsonl'), 'utf8');
    expect(results).toContain('1 PII entity in the outputs: credit_card **** **** **** 4242');
  });
});
