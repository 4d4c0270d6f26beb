import type { JudgeClient, JudgeRequest, JudgeResponse } from '../core/judge.js';
import type { ChatEndpoint } from '../providers/provider.js';

/**
 * A judge over any model endpoint (`src/providers/`): the verdict is asked for as structured output
 * (the verdict's JSON Schema), each kind in its own way — `response_format: json_schema` (OpenAI and
 * compatible servers), a forced tool call (Anthropic), a grammar (the local model). Retries, backoff,
 * adaptive concurrency and rpm/tpm budgets are the HTTP runtime's, shared per server.
 */
export function createJudgeClient(endpoint: ChatEndpoint): JudgeClient {
  return {
    modelUri: endpoint.uri,
    async complete(request: JudgeRequest): Promise<JudgeResponse> {
      const { body: _body, ...response } = await endpoint
        .prepare({
          messages: request.messages,
          temperature: request.temperature,
          maxTokens: request.maxTokens,
          output: { name: request.schemaName, schema: request.schema },
          signal: request.signal,
        })
        .send();
      return response;
    },
    // The runtime owns the connection pools and the resolver the local models (both shared).
    close: async () => undefined,
  };
}
