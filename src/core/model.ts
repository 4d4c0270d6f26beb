import type { PredictContext } from './predict.js';

/** The model under test behind one interface (an HTTP provider, a module's predict function, a closure). */
export interface ModelUnderTest {
  /** Shown in spans and params (`openai-compatible:/my-model`, `module:./predict.ts#predict`). */
  readonly name: string;
  /** Calls the model for one row. Throws (ProviderError or anything) when the call fails. */
  predict(inputs: Record<string, unknown>, context: PredictContext): Promise<unknown>;
  /** Releases connections. */
  close(): Promise<void>;
}
