import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MlflowError } from '../../../core/errors.js';
import type { MlflowHttp } from '../http.js';

/** Artifacts go through the server's artifact proxy (`mlflow server --serve-artifacts`, the default). */
const PROXY_PREFIX = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * The proxy path for `<artifactUri>/<relativePath>`. Only `mlflow-artifacts:` URIs (the server's
 * default with `--serve-artifacts`) can be written over HTTP; anything else is an MlflowError.
 */
export function artifactProxyPath(artifactUri: string, relativePath: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(artifactUri);
  if (match === null) {
    throw new MlflowError({
      message: `artifact location "${artifactUri}" is not served by the MLflow artifact proxy; start the server with --serve-artifacts (the default) and the default artifact root`,
      endpoint: `PUT ${PROXY_PREFIX}`,
      retryable: false,
    });
  }
  const base = (match[1] ?? '').replace(/^\/+|\/+$/g, '');
  const rel = relativePath.replace(/^\/+/, '');
  const joined = [base, rel].filter((part) => part !== '').join('/');
  return `${PROXY_PREFIX}/${joined.split('/').map(encodeURIComponent).join('/')}`;
}

export async function uploadArtifact(
  http: MlflowHttp,
  options: {
    artifactUri: string;
    path: string;
    body: string | Uint8Array | (() => Readable);
    contentType?: string;
  },
): Promise<void> {
  await http.call({
    method: 'PUT',
    path: artifactProxyPath(options.artifactUri, options.path),
    body: options.body,
    headers: { 'content-type': options.contentType ?? 'application/octet-stream' },
    idempotent: true,
  });
}

export async function downloadArtifact(
  http: MlflowHttp,
  options: { artifactUri: string; path: string },
): Promise<string> {
  const text = await http.call({
    method: 'GET',
    path: artifactProxyPath(options.artifactUri, options.path),
    idempotent: true,
    text: true,
  });
  return String(text);
}

export async function listArtifacts(
  http: MlflowHttp,
  options: { artifactUri: string; path?: string },
): Promise<Array<{ path: string; is_dir?: boolean | undefined }>> {
  const full = artifactProxyPath(options.artifactUri, options.path ?? '');
  const dir = decodeURIComponent(full.slice(`${PROXY_PREFIX}/`.length));
  const out = await http.call({
    method: 'GET',
    path: PROXY_PREFIX,
    query: { path: dir },
    idempotent: true,
    schema: z.looseObject({
      files: z.array(z.looseObject({ path: z.string(), is_dir: z.boolean().optional() })).optional(),
    }),
  });
  return out.files ?? [];
}
