import { describe, expect, it } from 'vitest';
import { parseEvalFileWithLines } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import {
  checkModelsUnderTest,
  modelUnderTestName,
  pairwiseEntries,
  selectModel,
} from './models-under-test.js';

function load(text: string) {
  const parsed = parseEvalFileWithLines(text, '/evals/eval.yaml');
  return { loaded: { path: '/evals/eval.yaml', baseDir: '/evals', text, ...parsed }, config: parsed.config };
}

const twoModels = [
  'dataset: {path: rows.jsonl}',
  'models:',
  '  a:',
  '    provider: module',
  '    path: a.ts',
  '  b:',
  '    provider: openai-compatible',
  '    base_url: http://127.0.0.1:8000/v1',
  '    model: qwen',
  'scorers:',
  '  - { type: pairwise, criteria: shorter }',
  '  - exact_match',
  '  - { type: contains, bad_option: 1 }',
  '',
].join('\n');

describe('models under test', () => {
  it('turns a models: file into the single-model file of one model, lines still pointing into the file', () => {
    const { loaded, config } = load(twoModels);
    checkModelsUnderTest(loaded, config);
    const b = selectModel(loaded, config, 'b');
    expect(b.config.models).toBeUndefined();
    expect(b.config.model).toEqual(config.models?.b);
    expect(b.config.scorers).toEqual(['exact_match', { type: 'contains', bad_option: 1 }]);
    // model.base_url is line 8 of the file; the second scorer left is the file's scorers[2], line 13
    expect(b.loaded.lineOf(['model', 'base_url'])).toBe(8);
    expect(b.loaded.lineOf(['scorers', 1])).toBe(13);
    expect(pairwiseEntries(config)).toEqual([{ type: 'pairwise', criteria: 'shorter' }]);
    expect(() => selectModel(loaded, config, 'c')).toThrow(
      /no model named "c" under models: \(there are: a, b\)/,
    );
  });

  it('refuses model: with models:, pairwise without two models, and a second pairwise scorer', () => {
    const both = load(twoModels.replace('models:', 'model: {provider: module, path: x.ts}\nmodels:'));
    expect(() => checkModelsUnderTest(both.loaded, both.config)).toThrow(ConfigError);
    expect(() => checkModelsUnderTest(both.loaded, both.config)).toThrow(
      /models: and model: cannot both be set/,
    );

    const one = load(twoModels.replace(/ {2}b:\n(?: {4}.*\n)+/, ''));
    expect(() => checkModelsUnderTest(one.loaded, one.config)).toThrow(
      /eval\.yaml:7: scorers\[0\]: a pairwise scorer compares two models' outputs/,
    );

    const twice = load(twoModels.replace('  - exact_match', '  - { type: pairwise }'));
    expect(() => checkModelsUnderTest(twice.loaded, twice.config)).toThrow(
      /only one pairwise scorer per eval file/,
    );

    const typo = load(twoModels.replace('criteria: shorter', 'critera: shorter'));
    expect(() => checkModelsUnderTest(typo.loaded, typo.config)).toThrow(/scorers\[0\]: .*critera/);
  });

  it('refuses model names MLflow or a folder could not take', () => {
    expect(() => load(twoModels.replace('  a:', '  a.b:'))).toThrow(
      /expected a model name of letters, digits/,
    );
  });

  it('names a model by its key, its name, else from its config', () => {
    expect(modelUnderTestName({ provider: 'module', path: 'apps/rag.ts', export: 'predict' }, 'rag')).toBe(
      'rag',
    );
    expect(
      modelUnderTestName({ provider: 'module', path: 'apps/rag.ts', export: 'predict', name: 'v2' }),
    ).toBe('v2');
    expect(modelUnderTestName({ provider: 'module', path: 'apps/rag.ts', export: 'predict' })).toBe(
      'module-rag-predict',
    );
    expect(modelUnderTestName({ provider: 'openai', model: 'gpt-4.1-mini' })).toBe('openai-gpt-4-1-mini');
    expect(modelUnderTestName({ provider: 'local' })).toBe('local-default');
  });
});
