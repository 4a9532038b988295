import { describe, expect, it } from 'vitest';
import { answerFromFlags, flagDecider } from '../../src/cli/decide.js';
import { evaluateWhen, renderTemplate } from '../../src/core/conditions.js';
import { evaluateExpectation } from '../../src/core/expect.js';
import { durationMs } from '../../src/core/model.js';
import { DecisionRefused } from '../../src/core/ports.js';
import { colourEnabled } from '../../src/plain/paint.js';
import { fitWidths, formatTable, truncate } from '../../src/plain/table.js';

describe('formatTable', () => {
  it('fits the width, cutting the widest cells with … and never wrapping', () => {
    const lines = formatTable(['id', 'query'], [['1', 'SELECT * FROM a_very_long_table_name WHERE x = 1\nAND y = 2']], 30);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(30);
    expect(lines[2]).toContain('…');
    expect(lines.join('\n').split('\n')).toHaveLength(3);
  });
  it('keeps natural widths when they fit', () => {
    expect(fitWidths([2, 5], 20)).toEqual([2, 5]);
    expect(truncate('abcdef', 4)).toBe('abc…');
  });
});

describe('expectations', () => {
  it('says what was found and what was expected', () => {
    expect(evaluateExpectation({ rows: 'none' }, [{ a: 1 }, { a: 2 }])).toEqual({ ok: false, reason: '2 rows found, expected none' });
    expect(evaluateExpectation({ column: 'v', at_least: 130000 }, [{ v: 150004 }]).ok).toBe(true);
    expect(evaluateExpectation({ column: 'v', at_least: 130000 }, [{ v: 120000 }]).reason).toBe('v is 120000, expected at least 130000');
    expect(evaluateExpectation({ column: 'missing', equals: 1 }, [{ v: 1 }]).reason).toMatch(/no column "missing"/);
  });
});

describe('conditions and templates', () => {
  const scope = { env: 'staging' as const, vars: { way: 'b' }, statusOf: (id: string) => (id === 'x' ? ('failed' as const) : undefined) };
  it('evaluates env, var and step conditions with a reason', () => {
    expect(evaluateWhen({ env: ['production'] }, scope)).toEqual({ ok: false, reason: 'runs only in production; this target is staging' });
    expect(evaluateWhen({ var: 'way', equals: 'b' }, scope).ok).toBe(true);
    expect(evaluateWhen({ step: 'x' }, scope).reason).toBe('step x is failed, not passed / warned');
    expect(evaluateWhen({ step: 'x', status: ['failed'] }, scope).ok).toBe(true);
  });
  it('renders templates without touching unknown names', () => {
    expect(renderTemplate('{{ way }}-{{nope}}', { way: 'b' })).toBe('b-');
  });
  it('parses durations', () => {
    expect(durationMs('2s', 0)).toBe(2000);
    expect(durationMs('500ms', 0)).toBe(500);
    expect(durationMs(3, 0)).toBe(3000);
    expect(durationMs(undefined, 7)).toBe(7);
  });
});

describe('decisions from flags', () => {
  const base = { yes: false, vars: {}, dryRun: false };
  const typed = { id: 'd', kind: 'type-to-confirm' as const, stepId: 's', prompt: 'Drop?', expected: 'sim', target: 'h:1/sim as u', consequences: [] };
  it('--yes never answers a destructive step; --confirm does', async () => {
    expect(answerFromFlags(typed, { ...base, yes: true })).toBeUndefined();
    expect(answerFromFlags(typed, { ...base, confirm: 'sim' })?.answer).toEqual({ kind: 'typed', text: 'sim' });
    await expect(flagDecider({ ...base, yes: true })(typed, new AbortController().signal)).rejects.toThrow(DecisionRefused);
    await expect(flagDecider(base)(typed, new AbortController().signal)).rejects.toThrow(/Pass --confirm sim/);
  });
  it('answers a choice from --var and names the flag when it is missing', async () => {
    const choose = { id: 'd', kind: 'choose' as const, stepId: 's', prompt: 'Which?', var: 'way', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] };
    expect(answerFromFlags(choose, { ...base, vars: { way: 'b' } })?.answer).toEqual({ kind: 'choice', value: 'b' });
    await expect(flagDecider(base)(choose, new AbortController().signal)).rejects.toThrow('Pass --var way=<a|b>.');
    expect(answerFromFlags({ ...choose, default: 'a' }, { ...base, yes: true })).toEqual({ answer: { kind: 'choice', value: 'a' }, by: 'default', reason: '--yes takes the default' });
    expect(answerFromFlags({ ...choose, default: 'a' }, base)).toBeUndefined();
  });

  it('lets a --var answer the same step at most three times, then refuses instead of looping', async () => {
    const choose = { id: 'd', kind: 'choose' as const, stepId: 's', prompt: 'Which?', var: 'way', options: [{ value: 'retry', label: 'Retry' }, { value: 'stop', label: 'Stop' }] };
    const flags = { ...base, vars: { way: 'retry' }, answered: new Map<string, number>() };
    const decide = flagDecider(flags);
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) expect((await decide(choose, signal)).answer).toEqual({ kind: 'choice', value: 'retry' });
    await expect(decide(choose, signal)).rejects.toThrow(/--var way=retry has answered step .+ 3 times and the question keeps coming back; stopping here rather than looping/);
    // Another step's question with the same variable has its own count.
    expect((await decide({ ...choose, stepId: 'other' }, signal)).answer).toEqual({ kind: 'choice', value: 'retry' });
  });
});

describe('colour policy', () => {
  it('honours NO_COLOR, --no-color and TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true, env: {} })).toBe(true);
    expect(colourEnabled({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colourEnabled({ isTTY: true, env: { TERM: 'dumb' } })).toBe(false);
    expect(colourEnabled({ isTTY: true, noColor: true, env: {} })).toBe(false);
    expect(colourEnabled({ isTTY: false, env: {} })).toBe(false);
  });
});
