import { z } from 'zod';

/**
 * The runbook file format (DESIGN §4). Runbooks are data: this schema is the contract between the YAML in
 * `runbooks/` and the engine. Every step kind has its own `with` shape; common fields sit on the step.
 */

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_" (e.g. check-locks)');

/** A duration written as 500ms, 2s, 5m, 1h or a bare number of seconds. */
export const duration = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h)$/, 'write a duration like 500ms, 2s, 5m or 1h'),
]);

export function durationMs(d: z.infer<typeof duration> | undefined, fallbackMs: number): number {
  if (d === undefined) return fallbackMs;
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(d);
  if (!m) return fallbackMs;
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

/** Where a step's SQL comes from: inline, or a file under `sql/` (preferred: SQL lives in sql/). */
const sqlFields = {
  sql: z.string().min(1).optional(),
  file: z.string().min(1).optional(),
  /** Bind parameters ($1, $2 …). Strings may use {{var}} templates; values are never spliced into SQL. */
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
};
const oneSqlSource = {
  check: (s: { sql?: string; file?: string }) => (s.sql === undefined) !== (s.file === undefined),
  message: { message: 'give exactly one of "sql" or "file"' },
};

/** What a check's rows must look like. */
const expectation = z
  .object({
    rows: z.enum(['none', 'some', 'any']).optional(),
    count: z.number().int().nonnegative().optional(),
    min_rows: z.number().int().nonnegative().optional(),
    max_rows: z.number().int().nonnegative().optional(),
    /** Compare the first row's column with a value. */
    column: z.string().optional(),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    at_least: z.number().optional(),
    at_most: z.number().optional(),
  })
  .strict();

const condition = z
  .object({
    env: z.array(z.enum(['dev', 'staging', 'production'])).optional(),
    not_env: z.array(z.enum(['dev', 'staging', 'production'])).optional(),
    var: z.string().optional(),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
    step: id.optional(),
    status: z.array(z.enum(['passed', 'warned', 'failed', 'skipped'])).optional(),
    /** Holds when the operator's config names this command (e.g. app.deploy_compatible); `configured: false` inverts. */
    command: z.string().optional(),
    configured: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.env || c.not_env || c.var || c.step || c.command, {
    message: 'a "when" needs one of env, not_env, var, step or command',
  });

/**
 * What a failed step does to the run: stop it (default); continue (the step counts as failed, the run ends
 * with exit 1); warn (the step is recorded as a warning with its error and the run goes on as if it passed —
 * for steps whose failure must never hold anything up, like an alert); goto a step; or retry first.
 */
const onFailure = z.union([
  z.enum(['stop', 'continue', 'warn']),
  z.object({ goto: id }).strict(),
  z
    .object({ retry: z.number().int().min(1).max(100), delay: duration.optional(), then: z.enum(['stop', 'continue']).optional() })
    .strict(),
]);

const common = {
  id,
  title: z.string().min(1),
  why: z.string().optional(),
  when: condition.optional(),
  timeout: duration.optional(),
  on_failure: onFailure.optional(),
  destructive: z.boolean().optional(),
  /** Tables or objects the step touches, shown by `show` and in the TUI. */
  touches: z.array(z.string()).optional(),
};

const noteStep = z.object({ ...common, kind: z.literal('note'), with: z.object({ text: z.string() }).strict() }).strict();

const checklistStep = z
  .object({
    ...common,
    kind: z.literal('checklist'),
    with: z.object({ items: z.array(z.string().min(1)).min(1), notes: z.boolean().optional() }).strict(),
  })
  .strict();

const checkStep = z
  .object({
    ...common,
    kind: z.literal('check'),
    with: z
      .object({
        ...sqlFields,
        expect: expectation,
        /** What a mismatch means: fail (default) or warn. */
        severity: z.enum(['fail', 'warn']).optional(),
        /** Shown with the rows when the expectation is not met. */
        advice: z.string().optional(),
        /** Name under which the first row is stored for later `when: {var: name.column}` and templates. */
        save_as: z.string().optional(),
        /** The summary when the expectation holds ("none found" reads better than "No rows"); {{rows}} is the row count. */
        ok_summary: z.string().optional(),
      })
      .strict()
      .refine(oneSqlSource.check, oneSqlSource.message),
  })
  .strict();

const sqlStep = z
  .object({
    ...common,
    kind: z.literal('sql'),
    with: z
      .object({ ...sqlFields, transaction: z.boolean().optional(), save_as: z.string().optional() })
      .strict()
      .refine(oneSqlSource.check, oneSqlSource.message),
  })
  .strict();

const confirmStep = z
  .object({
    ...common,
    kind: z.literal('confirm'),
    with: z
      .object({
        prompt: z.string().min(1),
        /** danger: the operator must type the database name (or pass --confirm <dbname>). */
        danger: z.boolean().optional(),
        /** What will be destroyed, shown with a danger prompt. */
        consequences: z.array(z.string()).optional(),
      })
      .strict(),
  })
  .strict();

const chooseStep = z
  .object({
    ...common,
    kind: z.literal('choose'),
    with: z
      .object({
        prompt: z.string().min(1),
        /** The variable the choice is stored in (answer non-interactively with --var <var>=<value>). */
        var: z.string().regex(/^[a-z_][a-z0-9_]*$/),
        options: z
          .array(z.object({ value: z.string().min(1), label: z.string().min(1), goto: id.optional() }).strict())
          .min(2),
        default: z.string().optional(),
      })
      .strict(),
  })
  .strict();

const waitStep = z
  .object({
    ...common,
    kind: z.literal('wait'),
    with: z.union([
      z.object({ seconds: z.number().positive().max(86_400) }).strict(),
      z
        .object({
          until: z.object({ ...sqlFields, expect: expectation }).strict().refine(oneSqlSource.check, oneSqlSource.message),
          interval: duration.optional(),
        })
        .strict(),
      z
        .object({
          until_http: z.object({ url: z.string().optional(), url_from: z.enum(['health']).optional(), status: z.number().int().optional() }).strict(),
          interval: duration.optional(),
        })
        .strict(),
    ]),
  })
  .strict();

const shellStep = z
  .object({
    ...common,
    kind: z.literal('shell'),
    /** Only commands named in the operator's config file run (e.g. app.stop); runbooks can't carry shell. */
    with: z.object({ command: z.string().regex(/^[a-z0-9_.-]+$/i, 'name a command from the config file, e.g. app.stop') }).strict(),
  })
  .strict();

const httpStep = z
  .object({
    ...common,
    kind: z.literal('http'),
    with: z
      .object({
        url: z.string().optional(),
        /** Take the URL from the config: health → app.health_url, webhook → alerts.webhook_url (never printed). */
        url_from: z.enum(['health', 'webhook']).optional(),
        method: z.enum(['GET', 'HEAD', 'POST', 'PUT']).optional(),
        /** JSON body; string values may use {{var}} templates. */
        body: z.record(z.string(), z.unknown()).optional(),
        expect_status: z.array(z.number().int()).optional(),
      })
      .strict()
      .refine((h) => (h.url === undefined) !== (h.url_from === undefined), { message: 'give exactly one of "url" or "url_from"' }),
  })
  .strict();

const version = z.string().regex(/^\d{4,}$/, 'a migration version is its four-digit number, e.g. "0002"');

/** Apply (up) or roll back (down) the Parlant migrations through the lock-safe engine (sql/migrations/README.md). */
const migrateStep = z
  .object({
    ...common,
    kind: z.literal('migrate'),
    with: z
      .object({
        direction: z.enum(['up', 'down']),
        /** up: through this version; down: every version above it ("0000" = all). */
        to: version.optional(),
        /** Exactly these versions (the phases of hot-migrate). */
        only: z.array(version).min(1).optional(),
        /** Migrations directory, relative to the runbook file; default the package's sql/migrations. */
        dir: z.string().optional(),
        lock_timeout: duration.optional(),
        statement_timeout: duration.optional(),
        /** statement_timeout of concurrent index builds (which run with lock_timeout 0). */
        concurrent_timeout: duration.optional(),
        retries: z.number().int().min(0).max(50).optional(),
        /** How long to wait for another migrator's lock. */
        lock_wait: duration.optional(),
        batch_pause: duration.optional(),
        max_batches: z.number().int().positive().optional(),
      })
      .strict()
      .refine((w) => !(w.to && w.only), { message: 'give "to" or "only", not both' }),
  })
  .strict();

/** A production gate: evidence that an earlier step of the procedure happened (DESIGN §6). */
const gateStep = z
  .object({
    ...common,
    kind: z.literal('gate'),
    with: z
      .object({
        /** preflight: a finished preflight run against this database; backup: a verified backup of it. */
        require: z.enum(['preflight', 'backup']),
        /** How old the evidence may be (default: 24h for preflight, the config's max_backup_age or 24h for backups). */
        max_age: duration.optional(),
        /** Where a missing gate stops the run (default production); elsewhere it is a warning. */
        enforce_in: z.array(z.enum(['dev', 'staging', 'production'])).optional(),
      })
      .strict(),
  })
  .strict();

/** A value given in the runbook or taken from a variable at run time ("{{backup_kind}}"), checked when the step runs. */
const templated = z.string().regex(/^\{\{\s*[a-zA-Z_][\w.-]*\s*\}\}$/, 'a template such as "{{backup_kind}}"');
const flag = z.union([z.boolean(), templated]);

/** Take a backup with pg_dump (src/backup): checks, live progress, manifest, verification (DESIGN §7). */
const backupStep = z
  .object({
    ...common,
    kind: z.literal('backup'),
    with: z
      .object({
        kind: z.union([z.enum(['full', 'directory', 'schema', 'tables', 'csv']), templated]),
        /** tables / csv: names, or one string of comma-separated names (e.g. "{{tables}}"). */
        tables: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]).optional(),
        jobs: z.number().int().min(1).max(64).optional(),
        compress: z.number().int().min(0).max(9).optional(),
        /** Verify right after the dump (default true). */
        verify: flag.optional(),
        trial_restore: flag.optional(),
      })
      .strict(),
  })
  .strict();

/** Verify an archive: checksum, pg_restore --list, full read, optionally a trial restore. */
const verifyBackupStep = z
  .object({
    ...common,
    kind: z.literal('verify-backup'),
    with: z
      .object({
        /** Archive or manifest (template allowed); default the archive of this run's backup step, else the newest backup of the target. */
        file: z.string().min(1).optional(),
        trial_restore: flag.optional(),
      })
      .strict(),
  })
  .strict();

/** Restore an archive: into a new database (default) or over an existing one after a typed confirmation. */
const restoreStep = z
  .object({
    ...common,
    kind: z.literal('restore'),
    with: z
      .object({
        /** Archive or manifest (template allowed); default "newest": the newest verified backup of the target. */
        file: z.string().min(1).optional(),
        /** new: a new database (blue-green); replace: drop and recreate the database (typed confirmation). */
        into: z.union([z.enum(['new', 'replace']), templated]).optional(),
        /** The database to restore into (template allowed); default <db>_restored_<UTC stamp> for new, the target's own for replace. */
        database: z.string().min(1).optional(),
        jobs: z.number().int().min(1).max(64).optional(),
        no_owner: flag.optional(),
        /**
         * Verify the archive before restoring it (checksum, pg_restore --list, full read; no trial restore). When it
         * fails, the other verified backups of the database are offered (var backup_choice).
         */
        verify_first: flag.optional(),
      })
      .strict(),
  })
  .strict();

/** The other sessions on the target database: listed, then terminated after the database name is typed. */
const sessionsStep = z
  .object({
    ...common,
    kind: z.literal('sessions'),
    with: z
      .object({
        action: z.literal('terminate'),
        /** application_name values to leave connected (e.g. a monitoring agent). */
        exclude_apps: z.array(z.string().min(1)).optional(),
      })
      .strict(),
  })
  .strict();

/** Partial recovery: load chosen tables of a backup into a side schema and compare (load), then insert the missing rows (merge). */
const partialRecoveryStep = z
  .object({
    ...common,
    kind: z.literal('partial-recovery'),
    with: z
      .object({
        action: z.enum(['load', 'merge']),
        file: z.string().min(1).optional(),
        tables: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]),
        /** The side schema (template allowed); default recovered_<UTC stamp> on load, the load step's on merge. */
        schema: z.string().min(1).optional(),
      })
      .strict(),
  })
  .strict();

/** Point-in-time recovery: readiness, a base backup, or recovery of a copy to a target time (the sandbox). */
const pitrStep = z
  .object({
    ...common,
    kind: z.literal('pitr'),
    with: z
      .object({
        action: z.enum(['readiness', 'base-backup', 'recover']),
        /** recover: ISO time with zone (template allowed). */
        target_time: z.string().min(1).optional(),
        recovery_action: z.enum(['promote', 'pause', 'shutdown']).optional(),
        base: z.string().min(1).optional(),
      })
      .strict(),
  })
  .strict();

/** Host-side and composite checks of the preflight (src/steps/probes/): one name each. */
export const PROBES = ['connectivity', 'client-tools', 'disk-space', 'conflicts', 'backup', 'health', 'terminal', 'lint', 'risk', 'summary'] as const;

const probeStep = z
  .object({
    ...common,
    kind: z.literal('probe'),
    with: z
      .object({
        probe: z.enum(PROBES),
        /** Migrations directory for conflicts / lint / risk, relative to the runbook; default the package's sql/migrations. */
        dir: z.string().optional(),
      })
      .strict(),
  })
  .strict();

export const stepSchema = z.discriminatedUnion('kind', [
  noteStep,
  checklistStep,
  checkStep,
  sqlStep,
  confirmStep,
  chooseStep,
  waitStep,
  shellStep,
  httpStep,
  migrateStep,
  gateStep,
  probeStep,
  backupStep,
  verifyBackupStep,
  restoreStep,
  sessionsStep,
  partialRecoveryStep,
  pitrStep,
]);

export const PHASES = ['before', 'during', 'after', 'incident', 'training'] as const;
export const RISKS = ['low', 'medium', 'high', 'critical'] as const;

/** The home screen's order: what goes wrong first, so the emergency runbook is the first thing on screen. */
export const HOME_PHASE_ORDER: readonly (typeof PHASES)[number][] = ['incident', 'before', 'during', 'after', 'training'];

/** How each phase is headed on the home screen and in `list`. */
export const PHASE_TITLE: Record<(typeof PHASES)[number], string> = {
  before: 'Before the migration',
  during: 'During the migration',
  after: 'After the migration',
  incident: 'When things go wrong',
  training: 'Training',
};

export const runbookSchema = z
  .object({
    id,
    title: z.string().min(1),
    summary: z.string().min(1),
    phase: z.enum(PHASES),
    risk: z.enum(RISKS),
    /** Incident runbooks show an incident clock with these time boxes (DESIGN §2, issue: emergency). */
    incident: z
      .object({ phases: z.array(z.object({ name: z.string(), minutes: z.number().positive() }).strict()).min(1) })
      .strict()
      .optional(),
    vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /**
     * read-only: steps that only read (checks, probes, gates, notes) run without waiting for enter in the TUI,
     * so a preflight of twenty checks runs through; steps that write or ask still wait. Default: every step waits.
     */
    autorun: z.enum(['none', 'read-only']).optional(),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type Step = z.infer<typeof stepSchema>;
export type StepKind = Step['kind'];
export type Runbook = z.infer<typeof runbookSchema> & { /** Absolute path of the file it came from. */ source: string; sha256: string };
export type Expectation = z.infer<typeof expectation>;
export type Condition = z.infer<typeof condition>;
export type OnFailure = z.infer<typeof onFailure>;
export type Phase = (typeof PHASES)[number];
export type Risk = (typeof RISKS)[number];
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

/** Steps that change nothing and so may be re-run safely on resume. */
export const READ_ONLY_KINDS: ReadonlySet<StepKind> = new Set(['note', 'check', 'wait', 'checklist', 'confirm', 'choose', 'gate', 'probe', 'verify-backup']);
