import type { StepOf } from '../core/model.js';
import type { StepContext, StepHandler, StepResult } from '../core/ports.js';
import { backup } from './probes/backup.js';
import { clientTools } from './probes/client-tools.js';
import { conflicts } from './probes/conflicts.js';
import { connectivity } from './probes/connectivity.js';
import { diskSpace } from './probes/disk-space.js';
import { health } from './probes/health.js';
import { lint } from './probes/lint.js';
import { risk } from './probes/risk.js';
import { summary } from './probes/summary.js';
import { terminal } from './probes/terminal.js';

export type Probe = (ctx: StepContext<StepOf<'probe'>>) => Promise<StepResult>;

const PROBES: Record<StepOf<'probe'>['with']['probe'], Probe> = {
  connectivity,
  'client-tools': clientTools,
  'disk-space': diskSpace,
  conflicts,
  backup,
  health,
  terminal,
  lint,
  risk,
  summary,
};

/**
 * The preflight's checks that are not one query: the machine (client tools, disk, terminal), the migration files
 * (conflicts, lint, risk), other evidence (backup catalogue, health URL). One file each under probes/; each
 * returns pass / warn / fail with its evidence as rows and the fix as advice.
 */
export const probe: StepHandler<StepOf<'probe'>> = async (ctx) => PROBES[ctx.step.with.probe](ctx);
