import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { MlflowError } from '../../core/errors.js';
import { MlflowHttp } from './http.js';

// The MLflow transport on judgeflow's one HTTP stack: errors never carry the credentials it sends.

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server !== undefined ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('MlflowHttp', () => {
  it('scrubs the Basic credentials from an error body that echoes the request', async () => {
    server = http.createServer((request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error_code: 'INVALID_PARAMETER_VALUE',
          message: `bad request with ${request.headers.authorization}`,
        }),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new MlflowHttp({
      trackingUri: `http://127.0.0.1:${port}`,
      auth: { kind: 'basic', username: 'alice', password: 'hunter2-secret-pw' },
    });
    try {
      const error = await client
        .call({ method: 'POST', path: '/api/2.0/mlflow/runs/create', json: {}, idempotent: false })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MlflowError);
      expect(error).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
      expect((error as Error).message).toContain('bad request with');
      const text = inspect(error, { depth: 10, showHidden: true });
      expect(text).not.toContain('hunter2-secret-pw');
      expect(text).not.toContain(Buffer.from('alice:hunter2-secret-pw').toString('base64'));
    } finally {
      await client.close();
    }
  });
});
