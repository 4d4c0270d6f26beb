import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import type { JudgeResolver } from '../../judges/resolver.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { builtinJudge } from './builtin-judge.js';
import { type JudgeScorerOptions, judgeOptionsShape, parseJudgeFactoryOptions } from './judge-scorer.js';
import { bulletList, inputsText } from './judge-text.js';
import { missingContext, numberedChunks, retrievedContext, spanMetadata } from './retrieval-context.js';

export const retrievalSufficiencyOptionsSchema = z.object({ ...judgeOptionsShape }).strict();

/**
 * MLflow's RetrievalSufficiency: "yes" when the retrieved context holds everything needed for
 * `expectations.expected_response` or `expected_facts` — one feedback per retrieval. A row without
 * retrieved context, or without either expectation, is an error feedback and costs no judge call.
 */
export function RetrievalSufficiency(options: JudgeScorerOptions = {}): Scorer {
  const { own, common, judges } = parseJudgeFactoryOptions(retrievalSufficiencyDefinition, options);
  return buildRetrievalSufficiency(own, common, judges);
}

export const retrievalSufficiencyDefinition: ScorerDefinition<typeof retrievalSufficiencyOptionsSchema> = {
  type: 'retrieval_sufficiency',
  kind: 'llm_judge',
  description:
    'LLM judge: the retrieved context holds what expectations.expected_response/expected_facts need (yes/no per retrieval)',
  needs: ['inputs', 'retrieved context', 'expectations.expected_response | expected_facts'],
  options: retrievalSufficiencyOptionsSchema,
  create: (options, common, context) => buildRetrievalSufficiency(options, common, context.judges),
};

function buildRetrievalSufficiency(
  options: z.infer<typeof retrievalSufficiencyOptionsSchema>,
  common: CommonScorerOptions,
  judges: JudgeResolver | undefined,
): Scorer {
  return builtinJudge({
    type: retrievalSufficiencyDefinition.type,
    options,
    common,
    judges,
    score: async (args, { judge, prompt, verdict }) => {
      const { expectations } = args;
      const parts: string[] = [];
      const expected = expectations.expected_response;
      if (expected !== undefined && expected !== null) {
        parts.push(typeof expected === 'string' ? expected : JSON.stringify(expected));
      }
      const facts = bulletList(expectations.expected_facts);
      if (facts !== undefined) parts.push(facts);
      if (parts.length === 0) {
        return judge.error(
          'MISSING_EXPECTATION',
          `scorer "${judge.name}" needs expectations.expected_response or expectations.expected_facts, which this row does not have`,
        );
      }
      const groups = retrievedContext(args);
      if (groups.length === 0) return missingContext(judge);
      const request = inputsText(args.inputs);
      return Promise.all(
        groups.map((group) =>
          judge.ask({
            prompt,
            verdict,
            variables: { request, context: numberedChunks(group.chunks), reference: parts.join('\n\n') },
            metadata: spanMetadata(group),
          }),
        ),
      );
    },
  });
}
