import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileProblemsError, loadAllRunbooks, loadRunbook, parseRunbook, RunbookNotFoundError } from '../../src/core/loader.js';
import { packageRoot } from '../../src/core/paths.js';

const fixtures = path.join(packageRoot(), 'test', 'fixtures', 'runbooks');

describe('runbook loader', () => {
  it('loads a valid runbook with every step kind', async () => {
    const rb = await loadRunbook(path.join(fixtures, 'every-kind.yaml'), fixtures, packageRoot());
    expect(rb.id).toBe('every-kind');
    expect(rb.steps.map((s) => s.kind)).toEqual(['note', 'check', 'sql', 'checklist', 'choose', 'note', 'wait', 'wait', 'confirm', 'confirm', 'sql', 'shell', 'http']);
    expect(rb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every problem of a broken file at once, each with file:line:column', () => {
    const file = path.join(fixtures, 'broken.yaml');
    let err: unknown;
    try {
      parseRunbook(readFileSync(file, 'utf8'), file, packageRoot());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FileProblemsError);
    const problems = (err as FileProblemsError).problems;
    const msgs = problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    // id, missing summary, phase, unknown kind, unknown field: all in one report
    expect(msgs.some((m) => m.startsWith('1:') && m.includes('id'))).toBe(true);
    expect(msgs.some((m) => m.includes('summary') && m.includes('required'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('3:') && m.includes('phase'))).toBe(true);
    expect(msgs.some((m) => m.includes('unknown step kind'))).toBe(true);
    expect(msgs.some((m) => m.includes('"colour"'))).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect((err as Error).message).toMatch(/broken\.yaml:\d+:\d+/);
  });

  it('finds cross-step problems: duplicate ids, goto to nowhere, when on a later step, missing SQL file', () => {
    const yaml = `
id: x
title: X
summary: s
phase: before
risk: low
steps:
  - id: a
    title: A
    kind: check
    when: { step: b }
    on_failure: { goto: nowhere }
    with: { file: checks/does-not-exist.sql, expect: { rows: none } }
  - id: b
    title: B
    kind: note
    with: { text: t }
  - id: b
    title: B again
    kind: note
    with: { text: t }
`;
    let err: FileProblemsError | undefined;
    try {
      parseRunbook(yaml, '/virtual/x.yaml', packageRoot());
    } catch (e) {
      err = e as FileProblemsError;
    }
    const msgs = err?.problems.map((p) => `${p.line} ${p.message}`) ?? [];
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^18 step id "b" is used twice/),
        expect.stringMatching(/^12 on_failure goes to "nowhere"/),
        expect.stringMatching(/^11 when refers to step "b", which does not run before this one/),
        expect.stringMatching(/^13 SQL file "checks\/does-not-exist.sql" was not found/),
      ]),
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseRunbook('id: x\nsteps: [\n', '/virtual/bad.yaml', packageRoot())).toThrow(/bad\.yaml:\d+:\d+/);
  });

  it('names the available runbooks when one is missing', async () => {
    await expect(loadRunbook('no-such-runbook', fixtures, packageRoot())).rejects.toThrow(RunbookNotFoundError);
    await expect(loadRunbook('no-such-runbook', fixtures, packageRoot())).rejects.toThrow(/Available: .*every-kind/);
  });

  it('keeps the good runbooks when one file in the folder is broken', async () => {
    const { runbooks, broken } = await loadAllRunbooks(fixtures, packageRoot());
    expect(runbooks.map((r) => r.id)).toContain('every-kind');
    expect(broken).toHaveLength(1);
  });

  it('loads every shipped runbook without problems', async () => {
    const { runbooks, broken } = await loadAllRunbooks(path.join(packageRoot(), 'runbooks'), packageRoot());
    expect(broken.map((b) => b.message)).toEqual([]);
    expect(runbooks.length).toBeGreaterThan(0);
  });
});
