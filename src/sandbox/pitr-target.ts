import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { clusterLayout, clusterStatus, type ClusterRef } from './cluster.js';

/**
 * Is the operator's target the sandbox? Point-in-time recovery replaces server files, which this tool may do only
 * where it owns them: the sandbox cluster recorded in the state directory. Everywhere else it prints the procedure.
 */

/** The sandbox cluster a target points at: its files (ref) and the port it runs on now. */
export interface SandboxCluster {
  ref: ClusterRef;
  port: number;
}

/** The fields of `<stateDir>/sandbox.json` (written by sandbox.ts) needed here; the rest is not our business. */
const RecordFields = z.object({
  state: z.enum(['creating', 'ready']),
  dir: z.string().min(1),
  binDir: z.string().min(1),
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The sandbox's cluster when `target` reaches it — over TCP on the loopback interface, or over its private socket
 * directory — and the sandbox is running; undefined otherwise (no sandbox, not running, another server).
 */
export async function sandboxClusterFor(stateDir: string, target: { host: string; port: number }): Promise<SandboxCluster | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(path.join(path.resolve(stateDir), 'sandbox.json'), 'utf8'));
  } catch {
    return undefined; // no sandbox recorded (or a damaged record, which `sandbox status` explains)
  }
  const rec = RecordFields.safeParse(json);
  if (!rec.success || rec.data.state !== 'ready') return undefined;
  const ref: ClusterRef = { dir: rec.data.dir, binDir: rec.data.binDir };
  const st = await clusterStatus(ref);
  if (st.state !== 'running' || st.port === undefined || st.port !== target.port) return undefined;
  const viaSocket = path.resolve(target.host) === clusterLayout(ref.dir).socketDir && target.host.startsWith('/');
  if (!LOOPBACK.has(target.host) && !viaSocket) return undefined;
  return { ref, port: st.port };
}
