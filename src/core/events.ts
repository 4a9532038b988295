import type { Phase, Risk, StepKind } from './model.js';
import type { TriggerId } from './triggers.js';

/**
 * What the engine says while it runs (DESIGN §3). The journal stores these, the reducer folds them into
 * RunState, and the renderers (TUI, line mode, JSON) show them. Every event carries `at` (epoch ms).
 */

export type Env = 'dev' | 'staging' | 'production';

export type StepStatus = 'pending' | 'running' | 'passed' | 'warned' | 'failed' | 'skipped' | 'aborted';
export type FinishedStatus = Exclude<StepStatus, 'pending' | 'running'>;
export type RunStatus = 'idle' | 'running' | 'done' | 'failed' | 'aborted' | 'refused' | 'interrupted';

/** The database the run touches, as shown in the banner. Never holds a password. */
export interface TargetInfo {
  host: string;
  port: number;
  database: string;
  user: string;
  env: Env;
  serverVersion?: string;
  /** `host:port/db as user` */
  display: string;
  /** Stable key to find unfinished runs against the same target. */
  key: string;
}

export interface StepInfo {
  id: string;
  title: string;
  kind: StepKind;
  destructive: boolean;
  why?: string;
  touches?: string[];
}

export interface RunbookInfo {
  id: string;
  title: string;
  source: string;
  sha256: string;
  phase: Phase;
  risk: Risk;
  incident?: { phases: { name: string; minutes: number }[] };
}

export interface OutputLine {
  stream: 'stdout' | 'stderr' | 'info' | 'sql';
  text: string;
}

export type DecisionRequest =
  | { id: string; kind: 'proceed'; stepId: string; title: string }
  | { id: string; kind: 'confirm'; stepId: string; prompt: string }
  | {
      id: string;
      kind: 'type-to-confirm';
      stepId: string;
      prompt: string;
      /** What the operator must type: the database name. */
      expected: string;
      target: string;
      consequences: string[];
    }
  | { id: string; kind: 'choose'; stepId: string; prompt: string; var: string; options: { value: string; label: string }[]; default?: string }
  | { id: string; kind: 'checklist'; stepId: string; items: string[]; notes: boolean }
  | { id: string; kind: 'on-failure'; stepId: string; error: string; options: FailureAction[]; gotoStep?: string }
  | { id: string; kind: 'resume-in-flight'; stepId: string; title: string };

export type FailureAction = 'retry' | 'skip' | 'abort' | 'goto';

export type DecisionAnswer =
  | { kind: 'proceed'; action: 'run' | 'skip' | 'abort' }
  | { kind: 'confirm'; yes: boolean }
  | { kind: 'typed'; text: string }
  | { kind: 'choice'; value: string }
  | { kind: 'checklist'; checked: boolean[]; notes?: string }
  | { kind: 'failure'; action: FailureAction }
  | { kind: 'resume'; action: 'rerun' | 'skip' | 'abort' };

/** Who answered: the operator at a prompt, a command-line flag, a default (dry run), or nobody (refused). */
export type DecidedBy = 'operator' | 'flag' | 'default';

export type RunEvent =
  | {
      type: 'run-started';
      at: number;
      runId: string;
      runbook: RunbookInfo;
      steps: StepInfo[];
      target: TargetInfo;
      operator: string;
      host: string;
      dryRun: boolean;
      toolVersion: string;
      vars: Record<string, string | number | boolean>;
    }
  | { type: 'run-resumed'; at: number; runId: string; operator: string; host: string }
  | { type: 'step-started'; at: number; stepId: string; attempt: number }
  | { type: 'step-output'; at: number; stepId: string; lines: OutputLine[] }
  | { type: 'step-rows'; at: number; stepId: string; columns: string[]; rows: string[][]; total: number }
  /** A block of lines that replaces the previous one while the step runs (the lock radar); [] clears it. */
  | { type: 'step-live'; at: number; stepId: string; lines: string[] }
  | {
      type: 'step-finished';
      at: number;
      stepId: string;
      status: FinishedStatus;
      summary: string;
      error?: string;
      advice?: string;
      durationMs: number;
    }
  /** A rollback trigger raised or cleared while a migration runs (src/core/triggers.ts); `acted` when the config let it stop the migration. */
  | { type: 'alert'; at: number; stepId: string; trigger: TriggerId; state: 'raised' | 'cleared'; message: string; proposal?: string; acted?: 'stop' | 'rollback' }
  | { type: 'decision-requested'; at: number; request: DecisionRequest }
  | { type: 'decision-made'; at: number; requestId: string; stepId: string; answer: DecisionAnswer; by: DecidedBy; reason?: string }
  | { type: 'var-set'; at: number; name: string; value: string | number | boolean | null }
  | { type: 'run-finished'; at: number; status: Exclude<RunStatus, 'idle' | 'running' | 'interrupted'>; exitCode: number; summary: string }
  | { type: 'run-interrupted'; at: number; reason: string };

export type RunEventType = RunEvent['type'];

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

/** Exit codes (README): the CLI maps run outcomes to these. */
export const EXIT = { done: 0, stepFailed: 1, usage: 2, refused: 3, aborted: 130 } as const;
