import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { manifestSchema, verificationSchema, type Manifest } from './catalog.js';

/**
 * Writing manifests and hashing archives (DESIGN §6–§7). A manifest is written whole or not at all: a temp file
 * in the same directory (0600 from its first byte), fsync, rename. A reader never sees half a manifest, and a
 * crash leaves either the old one or the new one.
 */

export type Verification = z.infer<typeof verificationSchema>;
export type Upload = NonNullable<Manifest['upload']>;

/** Validate and write atomically. Throws (naming the first problem) when the manifest does not fit the schema. */
export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Refusing to write an invalid manifest ${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}.`);
  }
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(parsed.data, null, 2)}\n`, 'utf8');
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dir);
}

/** Make the rename durable too; some filesystems refuse to fsync a directory, which is not worth failing for. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}

export async function readManifest(file: string): Promise<Manifest> {
  const parsed = manifestSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a backup manifest (${parsed.error.issues[0]?.message ?? 'invalid'}).`);
  return parsed.data;
}

/** Read, change, write back atomically. */
export async function updateManifest(file: string, change: (m: Manifest) => Manifest): Promise<Manifest> {
  const next = change(await readManifest(file));
  await writeManifest(file, next);
  return next;
}

export function updateVerification(manifestPath: string, verification: Verification): Promise<Manifest> {
  return updateManifest(manifestPath, (m) => ({ ...m, verification }));
}

export function updateUpload(manifestPath: string, upload: Upload): Promise<Manifest> {
  return updateManifest(manifestPath, (m) => ({ ...m, upload }));
}

export interface ArchiveFile {
  name: string;
  size: number;
  sha256: string;
}

export interface ArchiveHash {
  sha256: string;
  size: number;
  /** Directory archives: every file, sorted by name (relative, '/'-separated). */
  files?: ArchiveFile[];
}

export interface HashOptions {
  /** Called with the running byte count as the hash reads (for progress). */
  onBytes?: (bytesSoFar: number) => void;
  signal?: AbortSignal;
}

/**
 * sha256 and size of an archive. A file: its bytes, streamed. A directory: each file's sha256 and a combined
 * sha256 of the lines "<sha256>  <name>\n" in name order (the sha256sum format, so `sha256sum` can check it).
 */
export async function hashArchive(p: string, opts: HashOptions = {}): Promise<ArchiveHash> {
  const st = await stat(p);
  if (!st.isDirectory()) {
    const h = await hashFile(p, 0, opts);
    return { sha256: h.sha256, size: h.size };
  }
  const names = await listFiles(p);
  const files: ArchiveFile[] = [];
  let offset = 0;
  for (const name of names) {
    const h = await hashFile(path.join(p, name), offset, opts);
    offset += h.size;
    files.push({ name, size: h.size, sha256: h.sha256 });
  }
  return { sha256: combinedHash(files), size: offset, files };
}

/** The combined sha256 of a directory archive's files (see catalog.ts). */
export function combinedHash(files: readonly Pick<ArchiveFile, 'name' | 'sha256'>[]): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return createHash('sha256')
    .update(sorted.map((f) => `${f.sha256}  ${f.name}\n`).join(''))
    .digest('hex');
}

/** Regular files under a directory, relative names, sorted by code point. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(name);
      else if (e.isFile()) out.push(name);
    }
  };
  await walk('');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function hashFile(file: string, offset: number, opts: HashOptions): Promise<{ sha256: string; size: number }> {
  opts.signal?.throwIfAborted();
  const h = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 20, ...(opts.signal ? { signal: opts.signal } : {}) });
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    h.update(buf);
    size += buf.length;
    opts.onBytes?.(offset + size);
  }
  return { sha256: h.digest('hex'), size };
}
