import { describe, expect, it } from 'vitest';
import { readEnv } from './env.js';
import { isSecretEnvName, secretValues } from './secrets.js';

describe('secret environment variables', () => {
  it.each([
    ['OPENAI_API_KEY', true],
    ['HF_TOKEN', true],
    ['PGPASSWORD', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['DB_PASS', true],
    ['MY_KEY_FILE', false],
    ['PWD', false],
    ['OLDPWD', false],
    ['PATH', false],
    ['HOME', false],
  ])('%s is a secret: %s', (name, secret) => {
    expect(isSecretEnvName(name)).toBe(secret);
  });

  it('never takes the working directory for a secret (every path under it would be redacted)', () => {
    const env = readEnv(
      { PWD: '/work/project', OLDPWD: '/work', OPENAI_API_KEY: 'sk-abcdefghijklmnop' },
      '/work',
    );
    expect(secretValues(env)).toEqual(['sk-abcdefghijklmnop']);
  });
});
