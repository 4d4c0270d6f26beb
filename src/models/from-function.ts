import type { ModelUnderTest } from '../core/model.js';
import type { PredictContext, PredictFn } from '../core/predict.js';

/**
 * The model under test as a plain function — the library's `evaluate({ predictFn })`. Sync or async;
 * a throw (sync or async) becomes the row's error in the pipeline. The pipeline's root span already
 * times the call, so no extra span is opened here; the function may open its own through the context.
 */
export function fromFunction(predictFn: PredictFn, name = 'predict_fn'): ModelUnderTest {
  return {
    name,
    predict: async (inputs: Record<string, unknown>, context: PredictContext): Promise<unknown> =>
      await predictFn(inputs, context),
    close: async () => undefined,
  };
}
