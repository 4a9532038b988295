import type { RunEvent, TargetInfo } from '../../src/core/events.js';
import type { Runbook } from '../../src/core/model.js';
import { stepInfo } from '../../src/core/engine.js';
import { runbookFromYaml } from '../helpers/fakes.js';

export const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

export function target(env: TargetInfo['env'] = 'production'): TargetInfo {
  return {
    host: 'db.internal',
    port: 5432,
    database: 'sim',
    user: 'sim_admin',
    env,
    serverVersion: '16.4',
    display: 'db.internal:5432/sim as sim_admin',
    key: 'db.internal:5432/sim',
  };
}

export const MIGRATE_YAML = `
id: migrate
title: Apply the Parlant schema extension
summary: Creates the parlant tables.
phase: during
risk: medium
steps:
  - id: preflight
    title: Preflight passed
    kind: check
    why: A failed preflight means the window must not start.
    with: { sql: "SELECT 1 AS ok", expect: { rows: some } }
  - id: backup
    title: Verified backup
    kind: note
    with: { text: backed up }
  - id: lock
    title: Take the migration lock
    why: Two operators migrating at once corrupts the schema history.
    kind: sql
    with: { sql: "SELECT pg_advisory_lock(42)" }
  - id: apply
    title: Apply 0001_parlant_tables
    why: Creates the 18 parlant_* tables and 6 enums.
    kind: sql
    touches: [parlant_agent, parlant_session]
    with:
      sql: |
        CREATE TYPE agent_status AS ENUM ('active', 'inactive');
        CREATE TABLE parlant_agent (id uuid PRIMARY KEY);
  - id: drop-old
    title: Drop the old staging tables
    kind: confirm
    destructive: true
    with:
      prompt: Drop the staging tables?
      danger: true
      consequences: ["DROP TABLE parlant_staging (1,204 rows)", "DROP TABLE parlant_staging_log"]
  - id: validate
    title: Validate
    kind: check
    with: { sql: "SELECT 1", expect: { rows: none } }
`;

export const INCIDENT_YAML = `
id: emergency
title: Emergency rollback
summary: Roll the Parlant schema back when the app is down.
phase: incident
risk: critical
incident:
  phases:
    - { name: assess, minutes: 5 }
    - { name: stabilise, minutes: 10 }
    - { name: resolve, minutes: 15 }
steps:
  - id: assess-health
    title: Is the app up?
    kind: note
    with: { text: look }
  - id: stabilise-rollback
    title: Roll back
    kind: note
    with: { text: roll }
`;

export function migrate(): Runbook {
  return runbookFromYaml(MIGRATE_YAML, '/virtual/migrate.yaml');
}

export function incident(): Runbook {
  return runbookFromYaml(INCIDENT_YAML, '/virtual/emergency.yaml');
}

export function started(rb: Runbook, env: TargetInfo['env'] = 'production', at = T0): RunEvent {
  return {
    type: 'run-started',
    at,
    runId: 'migrate-20261121-120000-abcd',
    runbook: { id: rb.id, title: rb.title, source: rb.source, sha256: rb.sha256, phase: rb.phase, risk: rb.risk, ...(rb.incident ? { incident: rb.incident } : {}) },
    steps: rb.steps.map(stepInfo),
    target: target(env),
    operator: 'ops',
    host: 'bastion',
    dryRun: false,
    toolVersion: '0.1.0',
    vars: {},
  };
}

/** A step that ran and finished, as the engine says it. */
export function ran(stepId: string, status: 'passed' | 'warned' | 'failed' | 'skipped', summary: string, at = T0 + 1000): RunEvent[] {
  return [
    { type: 'step-started', at, stepId, attempt: 1 },
    { type: 'step-finished', at: at + 12, stepId, status, summary, durationMs: 12 },
  ];
}
