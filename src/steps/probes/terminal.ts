import type { Probe } from '../probe.js';
import { needHost } from './common.js';

/** Check 12: an SSH session outside tmux/screen loses the running step when the link drops. */
export const terminal: Probe = async (ctx) => {
  const env = needHost(ctx).env;
  const ssh = Boolean(env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT);
  const mux = env.TMUX ? 'tmux' : env.STY ? 'screen' : env.ZELLIJ ? 'zellij' : /^(screen|tmux)/.test(env.TERM ?? '') ? (env.TERM ?? '').split(/[.-]/)[0] ?? '' : '';
  ctx.rows(['ssh session', 'terminal multiplexer', 'TERM'], [[ssh ? `yes (${(env.SSH_CONNECTION ?? '').split(' ')[0] || 'ssh'})` : 'no', mux || 'none', env.TERM ?? '—']], 1);
  if (ssh && !mux) {
    return {
      status: 'warned',
      summary: 'SSH session outside tmux/screen',
      advice: 'A dropped link kills the running step (the journal keeps the run; --resume latest continues it). Start the window inside tmux: tmux new -s parlant',
    };
  }
  return { status: 'passed', summary: ssh ? `SSH inside ${mux}: survives a dropped link` : mux ? `Inside ${mux}` : 'Local terminal' };
};
