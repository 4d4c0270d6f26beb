export { RayExecutorError, type RayFailure } from './errors.js';
export { createRayExecutor, defaultWorkerCommand, type RayExecutorOptions } from './executor.js';
export { PROTOCOL_VERSION, type RayWorkerInfo } from './protocol.js';
export type { RayClusterInfo } from './session.js';
