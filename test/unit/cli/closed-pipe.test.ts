import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.js';

describe('the CLI writing into a closed pipe', () => {
  it('`judgeflow bench --help | head` ends quietly with exit 0, not an EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/judgeflow.js'), 'bench', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // the reader is gone before the first line is written (as after `head` has its lines)
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
