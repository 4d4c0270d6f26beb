import { ProviderError } from '../core/errors.js';
import type { ModelUnderTest } from '../core/model.js';
import type { ChatEndpoint } from '../providers/provider.js';
import { currentRunMetrics } from './current.js';
import type { EndpointRole, MlflowWriteKind } from './metric-names.js';
import { requestStatusOf } from './metrics.js';

/**
 * A chat endpoint that records, in the current run's metrics, each call's latency and outcome
 * (`judgeflow_endpoint_request_duration_seconds`, `judgeflow_endpoint_requests_total`) and each
 * retry and rate-limit wait the HTTP runtime makes. The label is the endpoint's URI, never a row id.
 */
export function instrumentChatEndpoint(endpoint: ChatEndpoint, role: EndpointRole): ChatEndpoint {
  return {
    uri: endpoint.uri,
    provider: endpoint.provider,
    model: endpoint.model,
    prepare(request) {
      const metrics = currentRunMetrics();
      if (metrics === undefined) return endpoint.prepare(request);
      const prepared = endpoint.prepare({
        ...request,
        onRetry: (event) => {
          metrics.endpointRetry({
            role,
            reason: requestStatusOf(event.error),
            waitSeconds: event.delayMs / 1000,
          });
          request.onRetry?.(event);
        },
      });
      return {
        body: prepared.body,
        send: () => timed(metrics, role, endpoint.uri, () => prepared.send()),
      };
    },
  };
}

/**
 * A model under test that is not a chat endpoint (a `module` function, the embedded local model): each
 * `predict` is one model request of the endpoint `uri`.
 */
export function instrumentModel(model: ModelUnderTest, uri: string): ModelUnderTest {
  const predict = model.predict.bind(model);
  return Object.assign(Object.create(Object.getPrototypeOf(model) as object) as ModelUnderTest, model, {
    predict: (
      inputs: Parameters<ModelUnderTest['predict']>[0],
      context: Parameters<ModelUnderTest['predict']>[1],
    ) => {
      const metrics = currentRunMetrics();
      if (metrics === undefined) return predict(inputs, context);
      return timed(metrics, 'model', uri, () => predict(inputs, context));
    },
  });
}

async function timed<T>(
  metrics: NonNullable<ReturnType<typeof currentRunMetrics>>,
  role: EndpointRole,
  endpoint: string,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    metrics.endpointRequest({ role, endpoint, status: 'ok', seconds: (performance.now() - started) / 1000 });
    return result;
  } catch (error) {
    // A call the run itself cancelled (stop, budget) is not an endpoint failure.
    if (!(error instanceof ProviderError && error.kind === 'aborted')) {
      metrics.endpointRequest({
        role,
        endpoint,
        status: error instanceof ProviderError ? requestStatusOf(error) : 'client_error',
        seconds: (performance.now() - started) / 1000,
      });
    }
    throw error;
  }
}

/** The `kind` label of an MLflow REST call, from its route. */
export function mlflowWriteKind(method: string, path: string): MlflowWriteKind | undefined {
  // Reads (GET, and the POST searches and gets) are not writes.
  if (method === 'GET' || /\/(search|get|get-by-name|server-info)$/.test(path)) return undefined;
  if (path === '/health' || path === '/version') return undefined;
  if (path.includes('/traces')) return 'trace';
  if (path.includes('/log-batch')) return 'batch';
  if (path.includes('/log-metric')) return 'metrics';
  if (path.includes('/artifacts') || path.includes('/mlflow-artifacts/')) return 'artifact';
  return 'run';
}
