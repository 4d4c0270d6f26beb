import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { inputsText } from './judge-text.js';
import {
  missingContext,
  numberedChunks,
  responseText,
  retrievedContext,
  spanMetadata,
} from './retrieval-context.js';

export const retrievalGroundednessOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's RetrievalGroundedness: "yes" when every claim of the response is supported by the retrieved
 * context — one feedback per top-level RETRIEVER span of the row's trace, or one for context recorded
 * in the row (see `retrievedContext`). A row without retrieved context is an error feedback.
 */
export function RetrievalGroundedness(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(retrievalGroundednessDefinition, options);
  return buildRetrievalGroundedness(own, common, judges);
}

export const retrievalGroundednessDefinition: ScorerDefinition<typeof retrievalGroundednessOptionsSchema> = {
  type: 'retrieval_groundedness',
  kind: 'llm_judge',
  description: 'LLM judge: the response is supported by the retrieved context (yes/no per retrieval)',
  needs: ['inputs', 'outputs', 'retrieved context'],
  options: retrievalGroundednessOptionsSchema,
  create: (options, common, context) => buildRetrievalGroundedness(options, common, context.judges),
};

function buildRetrievalGroundedness(
  options: z.infer<typeof retrievalGroundednessOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: retrievalGroundednessDefinition.type,
    options,
    common,
    judges,
    score: async (args, { judge, prompt, verdict }) => {
      const groups = retrievedContext(args);
      if (groups.length === 0) return missingContext(judge);
      const request = inputsText(args.inputs);
      const response = responseText(args.outputs);
      return Promise.all(
        groups.map((group) =>
          judge.ask({
            prompt,
            verdict,
            variables: { request, response, context: numberedChunks(group.chunks) },
            metadata: spanMetadata(group),
          }),
        ),
      );
    },
  });
}
