import { z } from 'zod';
import type { MlflowHttp } from '../http.js';

/** The server's version string (`GET /version`), e.g. `3.17.2`. */
export async function version(http: MlflowHttp, signal?: AbortSignal): Promise<string> {
  const text = await http.call({ method: 'GET', path: '/version', idempotent: true, text: true, signal });
  return String(text).trim();
}

/** `GET /health` answered OK. */
export async function health(http: MlflowHttp, signal?: AbortSignal): Promise<boolean> {
  try {
    await http.call({ method: 'GET', path: '/health', idempotent: true, text: true, signal });
    return true;
  } catch {
    return false;
  }
}

export async function serverInfo(http: MlflowHttp): Promise<{ store_type?: string | undefined }> {
  return http.call({
    method: 'GET',
    path: '/api/3.0/mlflow/server-info',
    idempotent: true,
    schema: z.looseObject({ store_type: z.string().optional() }),
  });
}
