import { z } from 'zod';
import { isPlainObject } from '../../core/json.js';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import { builtinJudge } from '../judges/builtin-judge.js';
import {
  type JudgeScorerOptions,
  judgeOptionsShape,
  parseJudgeFactoryOptions,
} from '../judges/judge-scorer.js';
import { inputsText, outputsText } from '../judges/judge-text.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';

export const translationAdequacyOptionsSchema = z
  .object({
    ...judgeOptionsShape,
    source_key: z
      .string()
      .min(1)
      .default('source')
      .describe('The inputs field holding the source text (default source; the whole inputs when absent)'),
    source_language: z.string().min(1).optional().describe('Name of the source language, e.g. English'),
    target_language: z.string().min(1).optional().describe('Name of the target language, e.g. German'),
  })
  .strict();
export type TranslationAdequacyOptions = JudgeScorerOptions & {
  source_key?: string;
  source_language?: string;
  target_language?: string;
};

/**
 * An LLM judge of translation adequacy: how much of the source's meaning the outputs carry, an integer
 * from 1 (none) to 5 (all), with a rationale naming the meaning errors. The source is
 * `inputs.source` (or `source_key`; the whole inputs when the row has no such field), the reference —
 * optional — `expectations.references` or `expected_response`.
 */
export function TranslationAdequacy(options: TranslationAdequacyOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(translationAdequacyDefinition, options);
  return buildTranslationAdequacy(own, common, judges);
}

export const translationAdequacyDefinition: ScorerDefinition<typeof translationAdequacyOptionsSchema> = {
  type: 'translation_adequacy',
  kind: 'llm_judge',
  description:
    'LLM judge: the translation conveys the meaning of inputs.source, optionally beside a reference (1-5)',
  needs: ['inputs', 'outputs'],
  options: translationAdequacyOptionsSchema,
  create: (options, common, context) => buildTranslationAdequacy(options, common, context.judges),
};

function buildTranslationAdequacy(
  options: z.infer<typeof translationAdequacyOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  const languages =
    options.source_language !== undefined || options.target_language !== undefined
      ? `Translation from ${options.source_language ?? 'the source language'} into ${options.target_language ?? 'the target language'}.\n`
      : '';
  return builtinJudge({
    type: translationAdequacyDefinition.type,
    options,
    common,
    judges,
    score: ({ inputs, outputs, expectations }, { judge, prompt, verdict }) => {
      const field = isPlainObject(inputs) ? inputs[options.source_key] : undefined;
      const source = typeof field === 'string' ? field : inputsText(inputs);
      if (source.trim() === '') {
        return judge.error(
          'MISSING_INPUT',
          `scorer "${judge.name}" needs the source text in inputs.${options.source_key}, which this row does not have`,
        );
      }
      return judge.ask({
        prompt,
        verdict,
        variables: {
          languages,
          source,
          translation: outputsText(outputs),
          reference: referenceText(expectations),
        },
      });
    },
  });
}

/** The reference translation(s), numbered when there are several, or "(none)". */
function referenceText(expectations: Record<string, unknown>): string {
  const value = expectations.references ?? expectations.expected_response;
  const references = (Array.isArray(value) ? value : [value]).filter(
    (item): item is string => typeof item === 'string' && item.trim() !== '',
  );
  if (references.length === 0) return '(none)';
  if (references.length === 1) return references[0] as string;
  return references.map((reference, index) => `Reference ${index + 1}: ${reference}`).join('\n');
}
