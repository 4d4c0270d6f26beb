import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mlflowSyncCommand } from '../../src/cli/commands/mlflow.js';
import { Spool, type SpoolState } from '../../src/sinks/mlflow/spool.js';
import { sameTrackingServer } from '../../src/sinks/mlflow/sync.js';
import { captureIo } from '../helpers/cli.js';

// `judgeflow mlflow sync DIR` must send the user's MLflow credentials only to the server the user
// configured — never to one that a (possibly foreign) spool folder names.

interface Recorder {
  uri: string;
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

/** A server that records every request's Authorization header and answers 503 (nothing is written). */
async function recorder(): Promise<Recorder> {
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end('{"error_code":"TEMPORARILY_UNAVAILABLE","message":"recorder"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}`,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const token = 'mlflow-token-for-mine-only-9931';

/** captureIo drops MLFLOW_TRACKING_URI from the environment it builds; these tests set it on purpose. */
function ioWith(env: Record<string, string>) {
  const captured = captureIo();
  const base = { ...captured.io.env };
  delete base.MLFLOW_TRACKING_TOKEN;
  delete base.MLFLOW_TRACKING_USERNAME;
  captured.io.env = { ...base, JUDGEFLOW_HOME: path.join(outDir, 'no-home'), ...env };
  return captured;
}
let outDir: string;
let theirs: Recorder;
let mine: Recorder;

async function writeSpool(trackingUri: string): Promise<void> {
  const state: SpoolState = {
    version: 1,
    tracking_uri: trackingUri,
    run_key: 'k',
    experiment_name: 'e',
    start: { start_time: 1, tags: [], params: [], experiment_tags: [] },
    context: { user: 'u', source_name: 's', source_type: 'LOCAL' },
  };
  await new Spool(outDir).writeState(state);
}

beforeEach(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'sync-target-'));
  theirs = await recorder();
  mine = await recorder();
});

afterEach(async () => {
  await theirs.close();
  await mine.close();
  await rm(outDir, { recursive: true, force: true });
});

describe('mlflow sync: where credentials may go', () => {
  it('refuses a spool written for another server than MLFLOW_TRACKING_URI, sending nothing anywhere', async () => {
    await writeSpool(theirs.uri);
    const { io, stderr } = ioWith({ MLFLOW_TRACKING_URI: mine.uri, MLFLOW_TRACKING_TOKEN: token });
    expect(await mlflowSyncCommand(outDir, {}, io)).toBe(2);
    expect(stderr()).toContain(`was written for ${theirs.uri}`);
    expect(stderr()).toContain(`--tracking-uri ${theirs.uri}`);
    expect(theirs.authorizations).toEqual([]);
    expect(mine.authorizations).toEqual([]);
  });

  it('refuses a spool naming a remote server when no server is configured', async () => {
    await writeSpool('https://mlflow.attacker.example');
    const { io, stderr } = ioWith({ MLFLOW_TRACKING_TOKEN: token });
    expect(await mlflowSyncCommand(outDir, {}, io)).toBe(2);
    expect(stderr()).toContain('no tracking server is configured');
  });

  it('sends to the other server when the user names it with --tracking-uri', async () => {
    await writeSpool(theirs.uri);
    const { io } = ioWith({ MLFLOW_TRACKING_URI: mine.uri, MLFLOW_TRACKING_TOKEN: token });
    await mlflowSyncCommand(outDir, { trackingUri: theirs.uri }, io);
    expect(theirs.authorizations.length).toBeGreaterThan(0);
    expect(theirs.authorizations[0]).toBe(`Bearer ${token}`);
    expect(mine.authorizations).toEqual([]);
  });

  it('sends to the configured server when the spool names it (credentials in the URI aside)', async () => {
    await writeSpool(mine.uri.replace('http://', 'http://someone:pw@'));
    const { io } = ioWith({ MLFLOW_TRACKING_URI: `${mine.uri}/`, MLFLOW_TRACKING_TOKEN: token });
    await mlflowSyncCommand(outDir, {}, io);
    expect(mine.authorizations.length).toBeGreaterThan(0);
    expect(theirs.authorizations).toEqual([]);
  });

  it('compares servers without credentials, trailing slashes or host case', () => {
    expect(sameTrackingServer('http://u:p@Host:5000/', 'http://host:5000')).toBe(true);
    expect(sameTrackingServer('http://host:5000', 'http://host:5001')).toBe(false);
  });
});
