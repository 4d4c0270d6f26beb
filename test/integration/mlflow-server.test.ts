import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowDownCommand, mlflowStatusCommand, mlflowUpCommand } from '../../src/cli/commands/mlflow.js';
import { type Env, readEnv } from '../../src/config/env.js';
import { venvDir } from '../../src/setup/python-env.js';
import { mlflowDown, mlflowStatus, mlflowUp, resolveTrackingUri } from '../../src/sinks/mlflow/server.js';
import { freePort } from '../helpers/free-port.js';
import { testHome } from './servers/mlflow.js';

// The local server judgeflow manages (`judgeflow mlflow up|down|status`), in a throwaway data folder
// that borrows the pinned venv.

let home: string;
let env: Env;

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env: { ...process.env, JUDGEFLOW_HOME: home, MLFLOW_TRACKING_URI: undefined },
      cwd: home,
    },
  };
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-home-'));
  await mkdir(path.join(home, 'venvs'), { recursive: true });
  await symlink(venvDir(testHome(), 'mlflow'), venvDir(home, 'mlflow'));
  env = readEnv({ ...process.env, JUDGEFLOW_HOME: home, MLFLOW_TRACKING_URI: undefined }, home);
});

afterAll(async () => {
  await mlflowDown({ home }).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

describe('local MLflow server', () => {
  it('up starts it detached with its store in the data folder; up again finds it; down stops it', async () => {
    const port = await freePort();
    const up = await mlflowUp({ home, env, port, workers: 1 });
    expect(up).toMatchObject({ uri: `http://127.0.0.1:${port}`, port, alreadyRunning: false });
    expect(existsSync(path.join(home, 'mlflow', 'server.json'))).toBe(true);
    expect(existsSync(path.join(home, 'mlflow', 'mlflow.db'))).toBe(true);

    const status = await mlflowStatus({ home, env });
    expect(status).toMatchObject({ running: true, healthy: true, version: '3.17.2' });
    const printed = capture();
    expect(await mlflowStatusCommand(printed.io)).toBe(0);
    expect(printed.out.stdout).toContain(`running — http://127.0.0.1:${port}`);

    const again = await mlflowUp({ home, env });
    expect(again).toMatchObject({ uri: up.uri, pid: up.pid, alreadyRunning: true });
    const upCommand = capture();
    expect(await mlflowUpCommand({}, upCommand.io)).toBe(0);
    expect(upCommand.out.stdout).toContain(`MLflow UI: ${up.uri}`);

    await expect(mlflowUp({ home, env, port: port + 1 })).rejects.toThrow(/already runs on port/);

    expect(await resolveTrackingUri({ env, home })).toEqual({ uri: up.uri, local: true, started: false });
    expect(await resolveTrackingUri({ env, home, flag: 'http://elsewhere:5000/' })).toEqual({
      uri: 'http://elsewhere:5000',
      local: false,
      started: false,
    });
    expect(await resolveTrackingUri({ env, home, noMlflow: true })).toBeUndefined();

    const down = capture();
    expect(await mlflowDownCommand(down.io)).toBe(0);
    expect(down.out.stdout).toContain(`MLflow stopped (pid ${up.pid})`);
    expect(() => process.kill(-up.pid, 0)).toThrow();
    expect((await mlflowStatus({ home, env })).running).toBe(false);
    expect(existsSync(path.join(home, 'mlflow', 'server.json'))).toBe(false);
    const stopped = capture();
    await mlflowStatusCommand(stopped.io);
    expect(stopped.out.stdout).toContain('not running');
  });

  it('reports a port held by another program instead of fighting for it', async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((socket) => {
      sockets.add(socket); // accepts and never answers
    });
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const printed = capture();
      // a taken --port is invalid input (2), as the exit-code contract says; 1 means a quality gate failed
      expect(await mlflowUpCommand({ port }, printed.io)).toBe(2);
      expect(printed.out.stderr).toContain(`port ${port} is already in use by another program`);
      expect(existsSync(path.join(home, 'mlflow', 'server.json'))).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
