import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * The backup catalogue: the manifests (`<archive>.manifest.json`) beside the archives in the backup directory
 * (DESIGN §7). A manifest says which database the archive holds, when it finished and whether — and how — it
 * was verified. Gates read it; the backup runbook writes it.
 */
export const verificationSchema = z.object({
  status: z.enum(['verified', 'failed', 'unverified']),
  at: z.string().optional(),
  /** e.g. "sha256, pg_restore --list (412 entries), full read, trial restore" */
  how: z.string().optional(),
  problems: z.array(z.string()).optional(),
});

export const manifestSchema = z
  .object({
    /** The archive's name, relative to the manifest's directory (a file, or a directory for directory/csv/base). */
    file: z.string(),
    kind: z.string(),
    /** custom · directory · csv · base (pg_basebackup, plain) */
    format: z.string().optional(),
    database: z.string(),
    host: z.string(),
    port: z.number().int(),
    started_at: z.string().optional(),
    finished_at: z.string(),
    duration_ms: z.number().optional(),
    /** Single file: sha256 of its bytes. Directory: sha256 of the lines "<sha256>  <name>\n" of its files in name order. */
    sha256: z.string().optional(),
    /** Bytes of the archive (all files of a directory). */
    size: z.number().optional(),
    files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })).optional(),
    pg_dump_version: z.string().optional(),
    server_version: z.string().optional(),
    /** Entries of `pg_restore --list` (custom and directory formats). */
    toc_entries: z.number().int().optional(),
    /** The chosen tables (tables, csv). */
    tables: z.array(z.string()).optional(),
    /** Exact row counts of the key tables, counted in the dump's own snapshot ("public.workspace": 1200). */
    row_counts: z.record(z.string(), z.number()).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
    created_by: z.object({ operator: z.string().optional(), run_id: z.string().optional(), tool_version: z.string().optional() }).optional(),
    verification: verificationSchema.optional(),
    upload: z
      .object({ command: z.string(), ok: z.boolean(), at: z.string(), exit_code: z.number().nullable().optional(), detail: z.string().optional() })
      .optional(),
  })
  .passthrough();

export type Manifest = z.infer<typeof manifestSchema>;

export interface CatalogEntry {
  manifest: Manifest;
  path: string;
}

/** Every readable manifest in the directory, newest first. Unreadable ones are reported, not fatal. */
export async function readCatalog(dir: string): Promise<{ entries: CatalogEntry[]; problems: string[]; unreadable?: string }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    // No directory yet: no backups. Anything else (not a directory, no permission) must not read as "none".
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    const unreadable = `The backup directory ${dir} cannot be read (${(e as Error).message}): fix backup_dir or its permissions.`;
    return { entries: [], problems: [unreadable], unreadable };
  }
  const entries: CatalogEntry[] = [];
  const problems: string[] = [];
  for (const n of names.filter((x) => x.endsWith('.manifest.json'))) {
    const p = path.join(dir, n);
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(await readFile(p, 'utf8')));
      if (parsed.success) entries.push({ manifest: parsed.data, path: p });
      else problems.push(`${n}: not a backup manifest (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    } catch (e) {
      problems.push(`${n}: ${(e as Error).message}`);
    }
  }
  entries.sort((a, b) => Date.parse(b.manifest.finished_at) - Date.parse(a.manifest.finished_at));
  return { entries, problems };
}

/** The newest backup of this database (same host, port and name). */
export function newestFor(entries: readonly CatalogEntry[], t: { host: string; port: number; database: string }): CatalogEntry | undefined {
  return entries.find((e) => e.manifest.database === t.database && e.manifest.host === t.host && e.manifest.port === t.port);
}

/** The newest *verified* backup of this database, of a restorable kind (what emergency and restore default to). */
export function newestVerifiedFor(
  entries: readonly CatalogEntry[],
  t: { host: string; port: number; database: string },
  kinds: readonly string[] = ['full', 'directory'],
): CatalogEntry | undefined {
  return entries.find(
    (e) => e.manifest.database === t.database && e.manifest.host === t.host && e.manifest.port === t.port && kinds.includes(e.manifest.kind) && e.manifest.verification?.status === 'verified',
  );
}

export interface ArchiveRef {
  /** Absolute path of the archive (file or directory). */
  archive: string;
  /** Absolute path of its manifest (which may not exist). */
  manifestPath: string;
  manifest?: Manifest;
  /** Why the manifest could not be read, when it exists but is broken. */
  manifestProblem?: string;
}

/**
 * An archive named by the operator: its path or its manifest's, absolute or relative to the backup directory
 * (then to the working directory). Throws with a message naming what was looked for when nothing is there.
 */
export async function resolveArchive(dir: string, name: string): Promise<ArchiveRef> {
  const bare = name.endsWith('.manifest.json') ? name.slice(0, -'.manifest.json'.length) : name;
  const candidates = path.isAbsolute(bare) ? [bare] : [path.join(dir, bare), path.resolve(bare)];
  let archive: string | undefined;
  for (const c of candidates) {
    if (await exists(c)) {
      archive = c;
      break;
    }
  }
  if (!archive) {
    throw new Error(`No archive ${name}: looked for ${candidates.join(' and ')}. \`parlant-runbook backups\` lists the catalogue.`);
  }
  const manifestPath = `${archive}.manifest.json`;
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    return { archive, manifestPath };
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { archive, manifestPath, manifest: parsed.data };
    return { archive, manifestPath, manifestProblem: `not a backup manifest (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  } catch (e) {
    return { archive, manifestPath, manifestProblem: `unreadable: ${(e as Error).message}` };
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
