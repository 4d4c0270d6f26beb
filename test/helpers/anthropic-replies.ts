import { custom, type FaultAction, status } from './fault-server.js';

/**
 * Answers in Anthropic's Messages API shapes for a fault server started with `path: '/v1/messages'`:
 * a message with content blocks, usage and `request-id`, and Anthropic's error bodies (429, 529).
 */

export interface MessageBlock {
  type: 'text' | 'tool_use';
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** A 200 message. `content`: a string (one text block) or the blocks themselves. */
export function message(
  content: string | MessageBlock[],
  options: {
    model?: string;
    stopReason?: string;
    usage?: { input_tokens: number; output_tokens: number };
    headers?: Record<string, string>;
  } = {},
): FaultAction {
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
  return custom((request, response) => {
    const body = {
      id: `msg_${request.seq}`,
      type: 'message',
      role: 'assistant',
      model: options.model ?? (request.body as { model?: string } | undefined)?.model ?? 'claude-test',
      content: blocks,
      stop_reason:
        options.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: options.usage ?? { input_tokens: 12, output_tokens: 5 },
    };
    const text = JSON.stringify(body);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'request-id': `req_${request.seq}`,
      ...(options.headers ?? {}),
    });
    response.end(text);
  });
}

/** A forced tool call answering with `input`. */
export function toolUse(name: string, input: unknown): FaultAction {
  return message([{ type: 'tool_use', id: 'toolu_1', name, input }]);
}

/** An Anthropic error: `{"type":"error","error":{"type":…,"message":…}}` with `status`. */
export function anthropicError(
  code: number,
  errorType: string,
  options: { retryAfter?: number; message?: string } = {},
): FaultAction {
  return status(code, {
    ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    body: JSON.stringify({
      type: 'error',
      error: { type: errorType, message: options.message ?? errorType },
    }),
  });
}
