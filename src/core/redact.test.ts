import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, Redactor, withoutCredentials } from './redact.js';

// Planted values are assembled at run time so no scanner mistakes this file for a leak.
const openAiKey = ['sk', 'proj', 'Zx81Qw7Lm3Np5Rt0Yv2Bc4Df6Gh'].join('-');
const awsKeyId = `AKIA${'IOSFODNN7EXAMPLE'}`;
const githubToken = `ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}`;
const jwt = `eyJhbGciOiJIUzI1NiJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'}.${'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'}`;
const basic = Buffer.from('alice:s3cr3t-pw').toString('base64');

describe('Redactor.text: what must be redacted', () => {
  const redactor = new Redactor(['my-configured-key-123', 'tracking-pass-987']);
  const cases: Array<[string, string, string]> = [
    ['a known secret value', 'echo: my-configured-key-123 here', 'my-configured-key-123'],
    ['a known secret, URL-encoded', `token=${encodeURIComponent('tracking-pass-987')}`, 'tracking-pass-987'],
    ['URL userinfo', 'http://alice:hunter22@10.0.0.1:5000/v1', 'alice:hunter22'],
    ['URL userinfo, user only', 'https://tok3nuser@host.example/x', 'tok3nuser'],
    ['a token query parameter', 'https://host/v1?token=abc123xyz&x=1', 'abc123xyz'],
    ['an api_key query parameter', 'https://host/v1?model=m&api_key=QWERTY12345', 'QWERTY12345'],
    ['an AWS signature query parameter', 'https://s3/x?X-Amz-Signature=deadbeef99', 'deadbeef99'],
    ['an Azure SAS signature', 'https://blob/x?sv=2020&sig=abcDEF123%3D', 'abcDEF123%3D'],
    ['an OpenAI key', `key is ${openAiKey}.`, openAiKey],
    ['a Bearer token', 'Authorization: Bearer abcdef0123456789', 'abcdef0123456789'],
    ['a lowercase bearer token in JSON', '{"auth":"bearer zz9988776655"}', 'zz9988776655'],
    ['Basic credentials', `authorization: Basic ${basic}`, basic],
    ['an AWS access key id', `id=${awsKeyId}`, awsKeyId],
    ['a GitHub token', `token ${githubToken}`, githubToken],
    ['a JWT', `jwt ${jwt}`, jwt],
    ['a labelled api_key in JSON', '{"api_key": "plain-value-42"}', 'plain-value-42'],
    ['a labelled password', 'password=hunter2hunter2', 'hunter2hunter2'],
    ['an x-api-key header', 'x-api-key: 5f2b9c0d1e', '5f2b9c0d1e'],
    [
      'a PEM private key',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
      'MIIEvQIBADANBg',
    ],
    ['a Hugging Face token', `hf_${'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'}`, 'hf_AbCdEf'],
  ];
  it.each(cases)('%s', (_name, text, secret) => {
    const out = redactor.text(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
    // idempotent
    expect(redactor.text(out)).toBe(out);
  });
});

describe('Redactor.text: what must be left alone', () => {
  const redactor = new Redactor(['my-configured-key-123', 'short']);
  const cases: Array<[string, string]> = [
    ['max_tokens in JSON', '{"max_tokens": 256, "temperature": 0}'],
    ['a token count', 'token_count=1234 tokens: 99'],
    ['an api_key_env (a variable name)', 'api_key_env: MY_JUDGE_KEY'],
    ['a URL without credentials', 'http://127.0.0.1:5000/#/experiments/1/runs/abc?x=1'],
    ['a harmless query string', 'https://host/v1/models?limit=10&page=2'],
    ['English after "Bearer"', 'Bearer bonds were popular'],
    ['English after "Basic"', 'Basic arithmetic is taught early'],
    ['a secret shorter than the minimum', 'a short answer'],
    ['an e-mail address', 'write to someone@example.com'],
    ['a sk- word that is not a key', 'sk-learn is a library'],
    ['a model answer', 'The capital of France is Paris.'],
  ];
  it.each(cases)('%s', (_name, text) => {
    expect(redactor.text(text)).toBe(text);
  });
});

describe('isSecretKey', () => {
  it.each([
    'api_key',
    'apiKey',
    'x-api-key',
    'password',
    'MLFLOW_TRACKING_PASSWORD',
    'authorization',
    'client_secret',
    'token',
    'access_token',
    'private_key',
  ])('%s is secret', (key) => expect(isSecretKey(key)).toBe(true));
  it.each([
    'api_key_env',
    'max_tokens',
    'token_count',
    'model',
    'base_url',
    'key',
    'tokens',
    'password_file',
  ])('%s is not', (key) => expect(isSecretKey(key)).toBe(false));
});

describe('Redactor.value and params', () => {
  const redactor = new Redactor(['row-secret-value']);
  it('scrubs every string of a nested value, keys included, without changing the input', () => {
    const input = {
      inputs: { q: 'x row-secret-value y' },
      list: ['row-secret-value', 3, true, null],
      nested: { 'row-secret-value': { deep: 'Bearer abc1234567' } },
    };
    const out = redactor.value(input);
    expect(JSON.stringify(out)).not.toContain('row-secret-value');
    expect(JSON.stringify(out)).not.toContain('abc1234567');
    expect(out.list.slice(1)).toEqual([3, true, null]);
    expect(input.inputs.q).toBe('x row-secret-value y');
  });

  it('params: secret keys hidden whole, max_tokens and api_key_env kept, URL credentials scrubbed', () => {
    const out = redactor.params({
      'judge.max_tokens': '256',
      'model.api_key_env': 'MY_KEY',
      'model.headers.authorization': 'anything',
      'model.base_url': 'https://u:p4ssw0rd@host/v1?api_key=k3y',
      'scorers[0].password': 'x',
    });
    expect(out['judge.max_tokens']).toBe('256');
    expect(out['model.api_key_env']).toBe('MY_KEY');
    expect(out['model.headers.authorization']).toBe(REDACTED);
    expect(out['scorers[0].password']).toBe(REDACTED);
    expect(out['model.base_url']).toBe(`https://${REDACTED}@host/v1?api_key=${REDACTED}`);
  });
});

describe('withoutCredentials', () => {
  it('drops userinfo, query and fragment', () => {
    expect(withoutCredentials('https://user:pw@mlflow.example:8443/prefix/?token=t#x')).toBe(
      'https://mlflow.example:8443/prefix',
    );
    expect(withoutCredentials('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
  });
});
