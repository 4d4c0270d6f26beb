import { z } from 'zod';
import type { Feedback } from '../../core/feedback.js';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText } from './judge-text.js';
import { missingContext, retrievedContext, spanMetadata } from './retrieval-context.js';

export const retrievalRelevanceOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's RetrievalRelevance: one "yes"/"no" feedback per retrieved chunk (is it relevant to the
 * request? metadata `chunk_index`), preceded, per retrieval, by `<name>/precision`: the share of its
 * judged chunks that are relevant. A row without retrieved context is an error feedback.
 */
export function RetrievalRelevance(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(retrievalRelevanceDefinition, options);
  return buildRetrievalRelevance(own, common, judges);
}

export const retrievalRelevanceDefinition: ScorerDefinition<typeof retrievalRelevanceOptionsSchema> = {
  type: 'retrieval_relevance',
  kind: 'llm_judge',
  description:
    'LLM judge: each retrieved chunk is relevant to the request (yes/no per chunk, plus <name>/precision)',
  needs: ['inputs', 'retrieved context'],
  options: retrievalRelevanceOptionsSchema,
  create: (options, common, context) => buildRetrievalRelevance(options, common, context.judges),
};

function buildRetrievalRelevance(
  options: z.infer<typeof retrievalRelevanceOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: retrievalRelevanceDefinition.type,
    options,
    common,
    judges,
    extraFeedbackNames: (name) => [`${name}/precision`],
    score: async (args, { judge, prompt, verdict }) => {
      const groups = retrievedContext(args);
      if (groups.length === 0) return missingContext(judge);
      const request = inputsText(args.inputs);
      const out: Feedback[] = [];
      for (const group of groups) {
        const chunks = await Promise.all(
          group.chunks.map((chunk, index) =>
            judge.ask({
              prompt,
              verdict,
              variables: { request, context: chunk },
              metadata: { ...spanMetadata(group), chunk_index: String(index) },
            }),
          ),
        );
        const judged = chunks.filter((feedback) => feedback.error === undefined);
        const precisionName = `${judge.name}/precision`;
        if (judged.length === 0) {
          out.push({
            ...judge.error('JUDGE_CALL_FAILED', `no chunk of ${group.origin} could be judged`),
            name: precisionName,
          });
        } else {
          const relevant = judged.filter((feedback) => feedback.value === 'yes').length;
          out.push({
            name: precisionName,
            value: relevant / judged.length,
            rationale: `${relevant} of ${judged.length} retrieved chunks are relevant to the request`,
            source: { type: 'LLM_JUDGE', id: judge.modelUri },
            metadata: spanMetadata(group),
          });
        }
        out.push(...chunks);
      }
      return out;
    },
  });
}
