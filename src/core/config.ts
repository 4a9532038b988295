import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FileProblemsError, parseYamlWith } from './loader.js';
import { duration, durationMs } from './model.js';
import type { StepConfig } from './ports.js';
import { DEFAULT_TRIGGERS, type TriggerSettings } from './triggers.js';

/** `parlant-runbook.config.yaml`: the operator's targets, commands and URLs (validated like runbooks). */

const envName = z.enum(['dev', 'staging', 'production']);
const share = z.union([z.number().min(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'write a share like 5% or 0.05')]);
/** A time box is a duration with its unit (a bare number would read as seconds here but minutes in a runbook). */
const BOX_HINT = 'write a time box with its unit, like 20s, 5m or 1h';
const boxDuration = z.string({ error: BOX_HINT }).regex(/^\d+(\.\d+)?\s*(s|m|h)$/, BOX_HINT);
const command = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  z.object({ run: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]), timeout: duration.optional() }).strict(),
]);

export const configSchema = z
  .object({
    targets: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'target names use letters, digits, "-" and "_"'),
        z
          .object({
            url: z.string().optional(),
            host: z.string().optional(),
            port: z.number().int().min(1).max(65535).optional(),
            database: z.string().optional(),
            user: z.string().optional(),
            sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
            env: envName.optional(),
          })
          .strict(),
      )
      .optional(),
    default_target: z.string().optional(),
    /** Environment of targets that do not name one. */
    env: envName.optional(),
    backup_dir: z.string().optional(),
    /** Run after a backup verified, e.g. a copy to object storage; the archive's path is "$1" (string) or appended (list). */
    backup_upload: command.optional(),
    max_backup_age: duration.optional(),
    lock_timeout: duration.optional(),
    commands: z.record(z.string().regex(/^[a-z0-9_.-]+$/i), command).optional(),
    app: z
      .object({
        stop: command.optional(),
        start: command.optional(),
        deploy_compatible: command.optional(),
        deploy_full: command.optional(),
        health_url: z.string().url().optional(),
      })
      .strict()
      .optional(),
    alerts: z.object({ webhook_url: z.string().url().optional() }).strict().optional(),
    /** Incident runbooks: time boxes by phase name (`assess: 20s`), e.g. shortened for a drill. */
    incident: z.object({ time_boxes: z.record(z.string().min(1), boxDuration) }).strict().optional(),
    /** The rollback triggers watched while a migration runs (src/core/triggers.ts). */
    rollback_triggers: z
      .object({
        /** alert (default): say it and propose the rollback; stop: also cancel the migration; rollback: stop, then roll back what this run applied. */
        action: z.enum(['alert', 'stop', 'rollback']).optional(),
        /** Over this many times the expected duration (default 2). */
        duration_factor: z.number().positive().optional(),
        /** …but never before this much run time (default 1m: estimates of seconds are not precise enough). */
        duration_floor: duration.optional(),
        /** Share of rolled-back transactions on the database (default 5%). */
        error_rate: share.optional(),
        /** Client connections as a share of max_connections (default 80%). */
        connections: share.optional(),
        /** Watch app.health_url (default true). */
        health: z.boolean().optional(),
        /** How often to look (default 5s) and over how long the error rate is measured (default 1m). */
        interval: duration.optional(),
        window: duration.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A share: 0.05 or "5%". */
function shareOf(v: number | string): number {
  return typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100;
}

export type ConfigFile = z.infer<typeof configSchema>;

/** A configured command in the shape the runner takes. */
export function commandOf(cmd: z.infer<typeof command>): { run: string | readonly string[]; timeoutMs?: number } {
  if (typeof cmd === 'string' || Array.isArray(cmd)) return { run: cmd };
  return { run: cmd.run, ...(cmd.timeout !== undefined ? { timeoutMs: durationMs(cmd.timeout, 0) } : {}) };
}

export interface LoadedConfig {
  file?: string;
  config: ConfigFile;
}

export const CONFIG_NAME = 'parlant-runbook.config.yaml';

export class ConfigNotFoundError extends Error {
  constructor(public readonly file: string) {
    super(`The config file ${file} does not exist. Check the --config path, or leave --config out to use ./${CONFIG_NAME}.`);
    this.name = 'ConfigNotFoundError';
  }
}

/** --config, else ./parlant-runbook.config.yaml, else <state dir>/parlant-runbook.config.yaml, else none. */
export async function loadConfig(opts: { explicit?: string; cwd: string; stateDir: string }): Promise<LoadedConfig> {
  const candidates = opts.explicit ? [path.resolve(opts.cwd, opts.explicit)] : [path.join(opts.cwd, CONFIG_NAME), path.join(opts.stateDir, CONFIG_NAME)];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (opts.explicit) throw new ConfigNotFoundError(file);
        continue;
      }
      throw e;
    }
    const { value, problems, locate } = parseYamlWith(text, file, configSchema);
    if (!value) throw new FileProblemsError(file, problems);
    if (value.default_target && !value.targets?.[value.default_target]) {
      throw new FileProblemsError(file, [
        { file, ...locate(['default_target']), message: `default_target "${value.default_target}" is not one of the targets (${Object.keys(value.targets ?? {}).join(', ') || 'none configured'})` },
      ]);
    }
    return { file, config: value };
  }
  return { config: {} };
}

/** The config's commands as steps see them: app.stop / app.start … plus everything under `commands:`. */
export function stepConfig(c: ConfigFile): StepConfig {
  const commands: StepConfig['commands'] = {};
  const put = (name: string, cmd: z.infer<typeof command> | undefined): void => {
    if (cmd !== undefined) commands[name] = commandOf(cmd);
  };
  for (const [k, v] of Object.entries(c.commands ?? {})) put(k, v);
  put('app.stop', c.app?.stop);
  put('app.start', c.app?.start);
  put('app.deploy_compatible', c.app?.deploy_compatible);
  put('app.deploy_full', c.app?.deploy_full);
  return {
    commands,
    ...(c.app?.health_url ? { healthUrl: c.app.health_url } : {}),
    ...(c.alerts?.webhook_url ? { webhookUrl: c.alerts.webhook_url } : {}),
    ...(c.lock_timeout !== undefined ? { lockTimeoutMs: durationMs(c.lock_timeout, 2000) } : {}),
    ...(c.max_backup_age !== undefined ? { maxBackupAgeMs: durationMs(c.max_backup_age, 86_400_000) } : {}),
    rollbackTriggers: triggerSettings(c.rollback_triggers),
  };
}

/** The config's rollback_triggers over the defaults. */
export function triggerSettings(t: ConfigFile['rollback_triggers']): TriggerSettings {
  const d = DEFAULT_TRIGGERS;
  if (!t) return { ...d };
  return {
    action: t.action ?? d.action,
    durationFactor: t.duration_factor ?? d.durationFactor,
    durationFloorMs: durationMs(t.duration_floor, d.durationFloorMs),
    errorRate: t.error_rate !== undefined ? shareOf(t.error_rate) : d.errorRate,
    connections: t.connections !== undefined ? shareOf(t.connections) : d.connections,
    health: t.health ?? d.health,
    intervalMs: Math.max(100, durationMs(t.interval, d.intervalMs)),
    windowMs: durationMs(t.window, d.windowMs),
    minTransactions: d.minTransactions,
    healthFailures: d.healthFailures,
  };
}

/** The config's incident.time_boxes in ms by phase name. */
export function timeBoxesMs(c: ConfigFile): Record<string, number> | undefined {
  const boxes = c.incident?.time_boxes;
  if (!boxes) return undefined;
  return Object.fromEntries(Object.entries(boxes).map(([k, v]) => [k, durationMs(v, 0)]));
}
