import { renderTemplate } from '../core/conditions.js';
import { resolveSqlFile } from '../core/loader.js';
import type { StepContext } from '../core/ports.js';

/** The SQL a step names (inline or a file under sql/), and its bind parameters with {{var}} rendered. */
export async function loadSql(
  ctx: StepContext,
  src: { sql?: string; file?: string; params?: (string | number | boolean | null)[] },
): Promise<{ text: string; params: (string | number | boolean | null)[]; label: string }> {
  const params = (src.params ?? []).map((p) => (typeof p === 'string' ? renderTemplate(p, ctx.vars) : p));
  if (src.sql !== undefined) return { text: src.sql, params, label: 'inline SQL' };
  const file = resolveSqlFile(src.file ?? '', ctx.sqlSearchPath);
  if (!file) throw new Error(`SQL file "${src.file}" was not found (looked in ${ctx.sqlSearchPath.join(', ')})`);
  return { text: await ctx.ports.fs.readText(file), params, label: src.file ?? file };
}

/** Show a statement in the step's output, one line at a time, so the operator sees what runs. */
export function showSql(ctx: StepContext, text: string, max = 40): void {
  const lines = text.trim().split('\n');
  for (const l of lines.slice(0, max)) ctx.output(l, 'sql');
  if (lines.length > max) ctx.output(`… ${lines.length - max} more lines`, 'sql');
}
