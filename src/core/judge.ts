import type { TokenUsage } from './usage.js';

/** A chat message sent to a judge. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One structured-output request to a judge model. */
export interface JudgeRequest {
  messages: ChatMessage[];
  /** JSON Schema the verdict must conform to (sent as `response_format: json_schema`). */
  schema: Record<string, unknown>;
  /** Name of the schema (OpenAI requires one). */
  schemaName: string;
  temperature: number;
  maxTokens: number;
  signal: AbortSignal;
}

/** What a judge client returns: the raw text, parsed JSON when it parsed, usage and timing. */
export interface JudgeResponse {
  /** Raw text the model produced. */
  text: string;
  /** Model name the server reported. */
  model: string;
  usage: TokenUsage;
  latencyMs: number;
  /** HTTP attempts the call took (1 when the first one succeeded); absent for the embedded model. */
  attempts?: number;
  /** The server's request id, when it sent one. */
  requestId?: string;
  /** Why generation stopped (`stop`, `length`, ...), when the server said. */
  finishReason?: string;
}

/** A judge model behind one interface: OpenAI, any OpenAI-compatible server, or the embedded local model. */
export interface JudgeClient {
  /** MLflow-style model URI used as the assessment source id (`openai:/gpt-4.1-mini`, `local:/gemma-3-270m`). */
  readonly modelUri: string;
  complete(request: JudgeRequest): Promise<JudgeResponse>;
  /** Releases connections, child processes. */
  close(): Promise<void>;
}
