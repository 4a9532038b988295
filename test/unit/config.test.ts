import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigNotFoundError, loadConfig, stepConfig } from '../../src/core/config.js';
import { FileProblemsError } from '../../src/core/loader.js';
import { resolveStateDir } from '../../src/core/paths.js';

function dirWith(text?: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'prb-cfg-'));
  if (text !== undefined) writeFileSync(path.join(d, 'parlant-runbook.config.yaml'), text);
  return d;
}

describe('config file', () => {
  it('is optional: no file means an empty config', async () => {
    const d = dirWith();
    expect(await loadConfig({ cwd: d, stateDir: d })).toEqual({ config: {} });
  });

  it('is read from the working directory before the state directory', async () => {
    const cwd = dirWith('env: staging\n');
    const state = dirWith('env: production\n');
    expect((await loadConfig({ cwd, stateDir: state })).config.env).toBe('staging');
  });

  it('turns app commands and named commands into what shell steps may run', async () => {
    const d = dirWith(`app:\n  stop: "systemctl stop sim"\n  health_url: http://127.0.0.1:3000/health\ncommands:\n  backup.upload: { run: [aws, s3, cp], timeout: 10m }\nalerts:\n  webhook_url: https://hooks.example/x\n`);
    const sc = stepConfig((await loadConfig({ cwd: d, stateDir: d })).config);
    expect(sc.commands['app.stop']).toEqual({ run: 'systemctl stop sim' });
    expect(sc.commands['backup.upload']).toEqual({ run: ['aws', 's3', 'cp'], timeoutMs: 600_000 });
    expect(sc.healthUrl).toBe('http://127.0.0.1:3000/health');
    expect(sc.webhookUrl).toBe('https://hooks.example/x');
  });

  it('reports every problem with line and column', async () => {
    const d = dirWith(`targets:\n  prod: { hots: db }\nenv: prod\napp:\n  health_url: not a url\n`);
    const err = await loadConfig({ cwd: d, stateDir: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileProblemsError);
    const lines = (err as FileProblemsError).problems.map((p) => p.line).sort();
    expect(lines).toEqual([2, 3, 5]);
  });

  it('rejects a default_target that is not a target', async () => {
    const d = dirWith(`targets:\n  a: { host: x }\ndefault_target: b\n`);
    await expect(loadConfig({ cwd: d, stateDir: d })).rejects.toThrow(/default_target "b" is not one of the targets \(a\)/);
  });

  it('says so when an explicit --config file is missing', async () => {
    const d = dirWith();
    await expect(loadConfig({ explicit: 'nope.yaml', cwd: d, stateDir: d })).rejects.toThrow(ConfigNotFoundError);
  });
});

describe('state directory', () => {
  it('follows --state-dir, PARLANT_RUNBOOK_HOME, XDG_STATE_HOME, then ~/.local/state', () => {
    expect(resolveStateDir('/x', { PARLANT_RUNBOOK_HOME: '/y' }, '/home/op')).toBe('/x');
    expect(resolveStateDir(undefined, { PARLANT_RUNBOOK_HOME: '/y', XDG_STATE_HOME: '/z' }, '/home/op')).toBe('/y');
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: '/z' }, '/home/op')).toBe('/z/parlant-runbook');
    expect(resolveStateDir(undefined, {}, '/home/op')).toBe('/home/op/.local/state/parlant-runbook');
  });
});
