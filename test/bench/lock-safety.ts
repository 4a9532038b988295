/**
 * test/bench/lock-safety — what an application feels while the Parlant migration runs into a long write
 * transaction on `workspace`, with this tool (`run migrate`: lock_timeout 2 s and retries) and with plain psql
 * (`psql -v ON_ERROR_STOP=1 -f` of the same up files: 0001 with -1, 0002 without, 0003 repeated until INSERT 0 0).
 *
 * One Sim sandbox (the cluster `parlant-runbook sandbox` builds, in a private state directory), two fresh copies
 * of its database, one per contender, run one after the other on the same machine in the same run. For each:
 * an application probe writes one workspace row every 100 ms on its own connection (latency of each write kept),
 * a blocker holds `UPDATE workspace … min(id)` open for 20 s from the start, and the migration starts right after
 * the blocker. Printed: the longest probe stall of each, their ratio (ours / psql), and the wall time of each.
 * Not an assertion test.
 *
 *   npx tsc --outDir tmp/bench --rootDir . --module NodeNext --moduleResolution NodeNext --target ES2022 \
 *     --lib ES2023 --types node --strict --skipLibCheck --esModuleInterop test/bench/lock-safety.ts \
 *   && node tmp/bench/test/bench/lock-safety.js [--hold 20]
 *
 * (npm run build first: the tool runs from dist/.)
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { appProbe } from '../helpers/app-probe.js';
import { inDatabase } from '../helpers/catalog.js';

/** The repository root, found by walking up (this file runs compiled from tmp/bench/…). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'parlant-runbook') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the parlant-runbook repository above this file');
}

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'parlant-runbook');
const MIGRATIONS = path.join(ROOT, 'sql', 'migrations');
const UP = {
  schema: path.join(MIGRATIONS, '0001_parlant_schema.up.sql'),
  indexes: path.join(MIGRATIONS, '0002_parlant_indexes.up.sql'),
  agents: path.join(MIGRATIONS, '0003_default_agents.up.sql'),
};

function psqlBin(): string {
  if (process.env.PSQL) return process.env.PSQL;
  for (const v of ['17', '16', '15', '14']) {
    const p = `/usr/lib/postgresql/${v}/bin/psql`;
    if (existsSync(p)) return p;
  }
  return 'psql';
}

/** A clean environment: no connection settings of the caller's shell leak into either contender. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PG') || k === 'DATABASE_URL' || k === 'CI' || k.startsWith('CI_')) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface ProbeResult {
  n: number;
  maxMs: number;
  p99Ms: number;
  over500: number;
  /** Sum of (latency − 5 ms) over the writes that took longer than 5 ms: time the application spent stalled. */
  stalledMs: number;
}

/** The application (test/helpers/app-probe.ts), summarised: worst, p99, writes over 500 ms, time stalled. */
function probe(url: string): { stop(): Promise<ProbeResult> } {
  const p = appProbe(url, 'bench-probe');
  return {
    async stop() {
      const lat = (await p.stop()).map((w) => w.ms);
      const sorted = [...lat].sort((a, b) => a - b);
      return {
        n: lat.length,
        maxMs: sorted[sorted.length - 1] ?? 0,
        p99Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
        over500: lat.filter((x) => x > 500).length,
        stalledMs: lat.reduce((a, x) => a + Math.max(0, x - 5), 0),
      };
    },
  };
}

/** An open write transaction on one workspace row, committed after holdMs. */
async function blocker(url: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-blocker' });
  await c.connect();
  await c.query('BEGIN');
  await c.query('UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace)');
  // Wrapped: an async function returning a promise would wait for it.
  return {
    released: sleep(holdMs).then(async () => {
      await c.query('COMMIT');
      await c.end();
    }),
  };
}

async function runOurs(url: string): Promise<string> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'prb-bench-state-'));
  try {
    const r = await execa('node', [BIN, 'run', 'migrate', '--plain', '--yes', '--state-dir', state], {
      env: cleanEnv({ DATABASE_URL: url, CI: '1' }),
      extendEnv: false,
      reject: false,
      cwd: ROOT,
      stdin: 'ignore',
    });
    const out = `${String(r.stdout)}\n${String(r.stderr)}`;
    if (r.exitCode !== 0) throw new Error(`run migrate exited ${r.exitCode}:\n${out.slice(-3000)}`);
    return out;
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

async function psqlFile(url: string, file: string, single: boolean): Promise<string> {
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(single ? ['-1'] : []), '-d', url, '-f', file];
  // -q hides command tags; 0003 needs them to see INSERT 0 0, so it runs without -q.
  const r = await execa(psqlBin(), file === UP.agents ? args.filter((a) => a !== '-q') : args, {
    env: cleanEnv({ PGAPPNAME: 'bench-psql' }),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) throw new Error(`psql -f ${path.basename(file)} exited ${r.exitCode}: ${String(r.stderr)}`);
  return String(r.stdout);
}

async function runPsql(url: string): Promise<string> {
  await psqlFile(url, UP.schema, true);
  await psqlFile(url, UP.indexes, false);
  let runs = 0;
  for (;;) {
    runs++;
    const out = await psqlFile(url, UP.agents, false);
    if (/^INSERT 0 0$/m.test(out)) break;
    if (runs > 1000) throw new Error('0003 does not converge under psql');
  }
  return `0003 ran ${runs} times`;
}

interface Trial {
  name: string;
  wallMs: number;
  probe: ProbeResult;
  note: string;
}

async function trial(name: string, url: string, holdMs: number, migrate: (url: string) => Promise<string>): Promise<Trial> {
  const app = probe(url);
  await sleep(500); // a few ordinary writes first
  const { released } = await blocker(url, holdMs);
  const t0 = performance.now();
  const out = await migrate(url);
  const wallMs = performance.now() - t0;
  await released;
  await sleep(300);
  const p = await app.stop();
  const tables = new pg.Client({ connectionString: url });
  await tables.connect();
  const n = (await tables.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'parlant\\_%'")).rows[0]?.n;
  const idx = (await tables.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname LIKE 'parlant\\_%' AND i.indisvalid",
  )).rows[0]?.n;
  await tables.end();
  const retries = (out.match(/: attempt \d+ of \d+ in|retry \d+\/\d+ in/g) ?? []).length;
  return { name, wallMs, probe: p, note: `${n} parlant tables, ${idx} valid indexes${name === 'ours' ? `, ${retries} lock_timeout retries` : `, ${out}`}` };
}

async function main(): Promise<void> {
  const holdArg = process.argv.indexOf('--hold');
  const holdMs = (holdArg > 0 ? Number(process.argv[holdArg + 1]) : 20) * 1000;
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'index.js'))) throw new Error('dist/ is missing: npm run build first');

  const state = mkdtempSync(path.join(os.tmpdir(), 'prb-bench-sandbox-'));
  const sandbox = (args: string[]) =>
    execa('node', [BIN, '--state-dir', state, 'sandbox', ...args], { env: cleanEnv({ CI: '1' }), extendEnv: false, reject: false, cwd: ROOT, stdin: 'ignore' });
  try {
    const s = await sandbox(['start']);
    const url = String(s.stdout).trim().split('\n').pop() ?? '';
    if (s.exitCode !== 0 || !url.startsWith('postgres')) throw new Error(`sandbox start failed:\n${String(s.stdout)}\n${String(s.stderr)}`);
    // Both copies before anything touches sim (a template must have no other session).
    const admin = new pg.Client({ connectionString: inDatabase(url, 'postgres') });
    await admin.connect();
    for (const db of ['bench_ours', 'bench_psql']) await admin.query(`CREATE DATABASE ${db} TEMPLATE sim`);
    const v = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    await admin.end();

    console.log(`lock-safety bench: PostgreSQL ${v}, ${os.cpus().length} CPUs, Sim data scale 1 (1,000 workspaces)`);
    console.log(`blocker: BEGIN; UPDATE workspace … WHERE id = min(id); held ${holdMs / 1000} s from the start, then COMMIT`);
    console.log('probe:   UPDATE workspace … WHERE id = max(id), every 100 ms, on its own connection\n');

    const ours = await trial('ours', inDatabase(url, 'bench_ours'), holdMs, runOurs);
    console.log(`  ours done (${(ours.wallMs / 1000).toFixed(1)} s)`);
    const plain = await trial('psql', inDatabase(url, 'bench_psql'), holdMs, runPsql);
    console.log(`  psql done (${(plain.wallMs / 1000).toFixed(1)} s)\n`);

    const row = (t: Trial) =>
      `${t.name === 'ours' ? 'parlant-runbook run migrate' : 'psql -f (0001 -1, 0002, 0003…)'}`.padEnd(34) +
      `${Math.round(t.probe.maxMs).toString().padStart(8)} ms` +
      `${Math.round(t.probe.p99Ms).toString().padStart(8)} ms` +
      `${t.probe.over500.toString().padStart(8)}` +
      `${(t.probe.stalledMs / 1000).toFixed(1).padStart(10)} s` +
      `${(t.wallMs / 1000).toFixed(1).padStart(10)} s` +
      `   ${t.probe.n} probes; ${t.note}`;
    console.log(`${'contender'.padEnd(34)}${'max stall'.padStart(11)}${'p99'.padStart(11)}${'>500ms'.padStart(8)}${'stalled'.padStart(12)}${'wall'.padStart(12)}`);
    console.log(row(ours));
    console.log(row(plain));
    console.log(
      `\nlongest application stall, ours / psql: ${Math.round(ours.probe.maxMs)} / ${Math.round(plain.probe.maxMs)} ms = ${(ours.probe.maxMs / plain.probe.maxMs).toFixed(3)}` +
        `\nwall time, ours / psql: ${(ours.wallMs / 1000).toFixed(1)} / ${(plain.wallMs / 1000).toFixed(1)} s = ${(ours.wallMs / plain.wallMs).toFixed(2)}`,
    );
  } finally {
    await sandbox(['stop']);
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
