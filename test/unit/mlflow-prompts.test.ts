import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parsePromptUri } from '../../src/sinks/mlflow/prompts.js';

describe('parsePromptUri', () => {
  it('reads a version or an alias', () => {
    expect(parsePromptUri('prompts:/qa-prompt/3')).toEqual({ name: 'qa-prompt', version: '3' });
    expect(parsePromptUri('prompts:/qa.prompt_v2@production')).toEqual({
      name: 'qa.prompt_v2',
      alias: 'production',
    });
    expect(parsePromptUri(' prompts:/p@latest ')).toEqual({ name: 'p', alias: 'latest' });
  });

  it('rejects anything else with a ConfigError naming both forms', () => {
    for (const bad of [
      'prompts:/p',
      'prompts:/p/x',
      'prompt:/p/1',
      'prompts:/bad name/1',
      'prompts:/p/1@a',
    ]) {
      expect(() => parsePromptUri(bad), bad).toThrow(ConfigError);
    }
    expect(() => parsePromptUri('prompts:/p')).toThrow(
      /prompts:\/<name>\/<version> or prompts:\/<name>@<alias>/,
    );
  });
});
