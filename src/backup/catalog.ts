import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * The backup catalogue: the manifests (`<archive>.manifest.json`) beside the archives in the backup directory
 * (DESIGN §7). A manifest says which database the archive holds, when it finished and whether — and how — it
 * was verified. Gates read it; the backup runbook writes it.
 */
export const manifestSchema = z
  .object({
    file: z.string(),
    kind: z.string(),
    format: z.string().optional(),
    database: z.string(),
    host: z.string(),
    port: z.number().int(),
    finished_at: z.string(),
    sha256: z.string().optional(),
    size: z.number().optional(),
    verification: z
      .object({ status: z.enum(['verified', 'failed', 'unverified']), at: z.string().optional(), how: z.string().optional() })
      .optional(),
  })
  .passthrough();

export type Manifest = z.infer<typeof manifestSchema>;

export interface CatalogEntry {
  manifest: Manifest;
  path: string;
}

/** Every readable manifest in the directory, newest first. Unreadable ones are reported, not fatal. */
export async function readCatalog(dir: string): Promise<{ entries: CatalogEntry[]; problems: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { entries: [], problems: [] };
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
