import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

export const BIN = path.join(packageRoot(), 'bin', 'parlant-runbook');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run the real binary (built into dist/) as an operator would, without a terminal. */
export async function cli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env };
  const r = await execa('node', [BIN, ...args], {
    env: env as Record<string, string>,
    extendEnv: false,
    reject: false,
    cwd: opts.cwd ?? packageRoot(),
    timeout: opts.timeoutMs ?? 60_000,
    stdin: 'ignore',
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function tempStateDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'prb-state-'));
}

export const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'runbooks');
