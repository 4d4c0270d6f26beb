import { z } from 'zod';
import type { Scorer } from '../../core/scorer.js';
import { type RowTrace, rootSpan, type Span } from '../../core/span.js';
import type { TokenUsage } from '../../core/usage.js';
import type { CommonScorerOptions, ScorerDefinition } from '../registry.js';
import { codePointLength, codeScorer, parseFactoryOptions, textOf } from './support.js';

/** MLflow's span attribute for token usage. */
export const TOKEN_USAGE_ATTRIBUTE = 'mlflow.chat.tokenUsage';

/** The rough rule of thumb for English text with OpenAI-style tokenizers. */
const CHARS_PER_TOKEN = 4;

export const tokenCountOptionsSchema = z
  .object({
    kind: z
      .enum(['output', 'input', 'total'])
      .default('output')
      .describe('Which tokens of the model call to count (default output)'),
    max: z.number().int().min(0).optional().describe('Pass (true) when the count is at most this'),
  })
  .strict();
export type TokenCountOptions = z.input<typeof tokenCountOptionsSchema> & CommonScorerOptions;

type TokenKind = z.infer<typeof tokenCountOptionsSchema>['kind'];

/**
 * Tokens of the model call, from `mlflow.chat.tokenUsage` on the row's spans, else the usage the model
 * reported for the row, else approximated as characters / 4 (metadata `approximate: "true"`).
 */
export function tokenCount(options: TokenCountOptions = {}): Scorer {
  const { own, common } = parseFactoryOptions(tokenCountDefinition, options);
  return buildTokenCount(own, common);
}

export const tokenCountDefinition: ScorerDefinition<typeof tokenCountOptionsSchema> = {
  type: 'token_count',
  kind: 'code',
  description:
    'tokens of the model call from the trace (approximated when none recorded) (number), or within max (bool)',
  needs: ['trace'],
  options: tokenCountOptionsSchema,
  create: (options, common) => buildTokenCount(options, common),
};

function buildTokenCount(
  options: z.infer<typeof tokenCountOptionsSchema>,
  common: CommonScorerOptions,
): Scorer {
  return codeScorer(tokenCountDefinition.type, common, ({ inputs, outputs, trace, usage }, feedback) => {
    const counted = countFromTrace(trace, options.kind) ?? countFromUsage(usage?.model, options.kind);
    let count: number;
    let rationale: string;
    const metadata: Record<string, string> = {};
    if (counted !== undefined) {
      count = counted.count;
      rationale = `${count} ${options.kind} tokens (${counted.source === 'trace' ? 'from the trace' : 'reported by the model'})`;
      metadata.source = counted.source;
    } else {
      count = approximate(inputs, outputs, options.kind);
      rationale = `~${count} ${options.kind} tokens, approximated as characters / ${CHARS_PER_TOKEN} (no token usage recorded)`;
      metadata.source = 'approximation';
      metadata.approximate = 'true';
    }
    metadata[`${options.kind}_tokens`] = String(count);
    if (options.max === undefined) return feedback.value(count, { rationale, metadata });
    return feedback.value(count <= options.max, { rationale: `${rationale} (max ${options.max})`, metadata });
  });
}

const usageAttributeSchema = z.looseObject({
  input_tokens: z.number().nonnegative().optional(),
  output_tokens: z.number().nonnegative().optional(),
  total_tokens: z.number().nonnegative().optional(),
});

/** One span's usage, or undefined when the asked-for count cannot be derived from what it recorded. */
function spanTokens(span: Span, kind: TokenKind): number | undefined {
  let raw = span.attributes[TOKEN_USAGE_ATTRIBUTE];
  if (raw === undefined) return undefined;
  // Spans read back from MLflow carry attribute values as JSON text.
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const parsed = usageAttributeSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { input_tokens: input, output_tokens: output, total_tokens: total } = parsed.data;
  if (kind === 'total')
    return total ?? (input !== undefined && output !== undefined ? input + output : undefined);
  if (kind === 'input')
    return input ?? (total !== undefined && output !== undefined ? total - output : undefined);
  return output ?? (total !== undefined && input !== undefined ? total - input : undefined);
}

/**
 * Sums the usage recorded during the predict call. A span whose descendants also record usage is
 * skipped so that a parent carrying the sum of its children is not counted twice; judge spans start
 * after the root span ended and are left out.
 */
function countFromTrace(trace: RowTrace, kind: TokenKind): { count: number; source: 'trace' } | undefined {
  const root = rootSpan(trace);
  if (root === undefined) return undefined;
  const during = trace.spans.filter(
    (span) => span === root || (root.endTimeMs > 0 ? span.startTimeMs <= root.endTimeMs : true),
  );
  const withUsage = during.filter((span) => span.attributes[TOKEN_USAGE_ATTRIBUTE] !== undefined);
  if (withUsage.length === 0) return undefined;
  const parents = new Map(trace.spans.map((span) => [span.spanId, span.parentId]));
  const hasUsageBelow = new Set<string>();
  for (const span of withUsage) {
    let parent: string | null | undefined = span.parentId;
    const seen = new Set<string>();
    while (parent !== null && parent !== undefined && !seen.has(parent)) {
      seen.add(parent);
      hasUsageBelow.add(parent);
      parent = parents.get(parent);
    }
  }
  let count = 0;
  let counted = false;
  for (const span of withUsage) {
    if (hasUsageBelow.has(span.spanId)) continue;
    const tokens = spanTokens(span, kind);
    if (tokens === undefined) continue;
    count += tokens;
    counted = true;
  }
  return counted ? { count, source: 'trace' } : undefined;
}

function countFromUsage(
  usage: TokenUsage | undefined,
  kind: TokenKind,
): { count: number; source: 'usage' } | undefined {
  if (usage === undefined || usage.inputTokens + usage.outputTokens + usage.totalTokens === 0)
    return undefined;
  const count =
    kind === 'input' ? usage.inputTokens : kind === 'output' ? usage.outputTokens : usage.totalTokens;
  return { count, source: 'usage' };
}

function approximate(inputs: Record<string, unknown>, outputs: unknown, kind: TokenKind): number {
  const estimate = (text: string): number => Math.ceil(codePointLength(text) / CHARS_PER_TOKEN);
  // The prompt sent is unknown here (templates live in the provider), so inputs stand in for it.
  const inputText = Object.values(inputs ?? {})
    .map(textOf)
    .join('\n');
  if (kind === 'input') return estimate(inputText);
  if (kind === 'output') return estimate(textOf(outputs));
  return estimate(inputText) + estimate(textOf(outputs));
}
