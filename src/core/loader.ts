import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { runbookSchema, type Runbook, type Step } from './model.js';

/** One problem in a runbook or config file, located for an editor (file:line:column). */
export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A file that could not be loaded, with every problem found in it (STYLE §9: report all at once). */
export class FileProblemsError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: Problem[],
  ) {
    super(
      `${path.relative(process.cwd(), file) || file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  ${formatLocation(p)}  ${p.message}`).join('\n'),
    );
    this.name = 'FileProblemsError';
  }
}

export function formatLocation(p: Problem): string {
  return `${path.relative(process.cwd(), p.file) || p.file}:${p.line}:${p.column}`;
}

type PathKey = string | number;

/** Parse YAML and validate it with a zod schema; every problem carries its line and column. */
export function parseYamlWith<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): { value?: z.infer<S>; problems: Problem[]; locate: (p: readonly PathKey[]) => { line: number; column: number } } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const locate = (p: readonly PathKey[]): { line: number; column: number } => {
    // Walk down as far as the path exists; a missing key is reported at its parent.
    let node: unknown = doc.contents;
    let best = 0;
    for (const key of p) {
      if (isMap(node)) {
        const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        const k = pair.key as YamlNode | null;
        best = k?.range?.[0] ?? best;
        node = pair.value;
        const v = node as YamlNode | null;
        if (v?.range) best = v.range[0];
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        const v = node as YamlNode | null;
        if (v?.range) best = v.range[0];
        else break;
      } else break;
    }
    return at(best);
  };
  const problems: Problem[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const { line, column } = at(e.pos[0]);
    problems.push({ file, line, column, message: e.message.split('\n')[0] ?? e.message });
  }
  if (problems.length) return { problems, locate };
  const raw: unknown = doc.toJS();
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const { line, column } = locate(issue.path as PathKey[]);
      problems.push({ file, line, column, message: describeIssue(issue) });
    }
    return { problems, locate };
  }
  return { value: parsed.data as z.infer<S>, problems, locate };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') return `${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return `${where}unknown step kind; use one of note, checklist, check, sql, confirm, choose, wait, shell, http`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${where}is required`;
  return `${where}${issue.message}`;
}

/** Where `file:` references in steps are looked up: next to the runbook, then the package's sql/ folder. */
export function sqlSearchPath(runbookFile: string, packageRoot: string): string[] {
  return [path.dirname(runbookFile), path.join(packageRoot, 'sql')];
}

export function resolveSqlFile(ref: string, searchPath: readonly string[]): string | undefined {
  for (const dir of searchPath) {
    const p = path.resolve(dir, ref);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Checks that need the whole runbook: unique ids, goto targets, `when.step` references, SQL files present. */
function crossCheck(rb: Omit<Runbook, 'source' | 'sha256'>, file: string, locate: (p: readonly PathKey[]) => { line: number; column: number }, searchPath: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const add = (p: readonly PathKey[], message: string): void => {
    problems.push({ file, ...locate(p), message });
  };
  const seen = new Map<string, number>();
  rb.steps.forEach((s, i) => {
    if (seen.has(s.id)) add(['steps', i, 'id'], `step id "${s.id}" is used twice (first at step ${(seen.get(s.id) ?? 0) + 1})`);
    else seen.set(s.id, i);
  });
  const ids = new Set(rb.steps.map((s) => s.id));
  rb.steps.forEach((s: Step, i) => {
    const of = s.on_failure;
    if (of && typeof of === 'object' && 'goto' in of && !ids.has(of.goto)) {
      add(['steps', i, 'on_failure', 'goto'], `on_failure goes to "${of.goto}", which is not a step of this runbook`);
    }
    if (s.when?.step) {
      const j = rb.steps.findIndex((x) => x.id === s.when?.step);
      if (j < 0) add(['steps', i, 'when', 'step'], `when refers to step "${s.when.step}", which is not a step of this runbook`);
      else if (j >= i) add(['steps', i, 'when', 'step'], `when refers to step "${s.when.step}", which does not run before this one`);
    }
    if (s.kind === 'choose') {
      s.with.options.forEach((o, k) => {
        if (o.goto && !ids.has(o.goto)) add(['steps', i, 'with', 'options', k, 'goto'], `option "${o.value}" goes to "${o.goto}", which is not a step of this runbook`);
      });
      if (s.with.default !== undefined && !s.with.options.some((o) => o.value === s.with.default)) {
        add(['steps', i, 'with', 'default'], `default "${s.with.default}" is not one of the options (${s.with.options.map((o) => o.value).join(', ')})`);
      }
    }
    const fileRef =
      s.kind === 'check' || s.kind === 'sql' ? s.with.file : s.kind === 'wait' && 'until' in s.with ? s.with.until.file : undefined;
    if (fileRef !== undefined && !resolveSqlFile(fileRef, searchPath)) {
      const p = s.kind === 'wait' ? ['steps', i, 'with', 'until', 'file'] : ['steps', i, 'with', 'file'];
      add(p, `SQL file "${fileRef}" was not found (looked in ${searchPath.join(', ')})`);
    }
  });
  return problems;
}

export function parseRunbook(text: string, file: string, packageRoot: string): Runbook {
  const { value, problems, locate } = parseYamlWith(text, file, runbookSchema);
  if (!value) throw new FileProblemsError(file, problems);
  const more = crossCheck(value, file, locate, sqlSearchPath(file, packageRoot));
  if (more.length) throw new FileProblemsError(file, more);
  return { ...value, source: path.resolve(file), sha256: createHash('sha256').update(text).digest('hex') };
}

export class RunbookNotFoundError extends Error {
  constructor(
    public readonly ref: string,
    public readonly available: string[],
  ) {
    super(
      `No runbook "${ref}". ` +
        (available.length ? `Available: ${available.join(', ')}. ` : '') +
        'Give a runbook id from `parlant-runbook list` or a path to a YAML file.',
    );
    this.name = 'RunbookNotFoundError';
  }
}

/** Load one runbook by id (from the runbooks folder) or by path to a YAML file. */
export async function loadRunbook(ref: string, runbooksDir: string, packageRoot: string): Promise<Runbook> {
  const looksLikePath = ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml');
  const file = looksLikePath ? path.resolve(ref) : path.join(runbooksDir, `${ref}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const available = looksLikePath ? [] : (await listRunbookFiles(runbooksDir)).map((f) => path.basename(f, '.yaml'));
      throw new RunbookNotFoundError(ref, available);
    }
    throw e;
  }
  return parseRunbook(text, file, packageRoot);
}

export async function listRunbookFiles(runbooksDir: string): Promise<string[]> {
  try {
    const names = await readdir(runbooksDir);
    return names.filter((n) => n.endsWith('.yaml')).sort().map((n) => path.join(runbooksDir, n));
  } catch {
    return [];
  }
}

/** Load every runbook in the folder; a broken file does not hide the good ones, its problems are returned. */
export async function loadAllRunbooks(runbooksDir: string, packageRoot: string): Promise<{ runbooks: Runbook[]; broken: FileProblemsError[] }> {
  const runbooks: Runbook[] = [];
  const broken: FileProblemsError[] = [];
  for (const file of await listRunbookFiles(runbooksDir)) {
    try {
      runbooks.push(parseRunbook(await readFile(file, 'utf8'), file, packageRoot));
    } catch (e) {
      if (e instanceof FileProblemsError) broken.push(e);
      else throw e;
    }
  }
  return { runbooks, broken };
}
