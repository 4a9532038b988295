import { it } from 'vitest';
import { RunScreen } from '../../src/ui/RunScreen.js';
import { RunStore } from '../../src/ui/store.js';
import { migrate, started } from './fixtures.js';
import { KEY, renderAt } from './renderAt.js';

it('scratch', async () => {
  const rb = migrate();
  const store = new RunStore({ frameMs: 0 });
  const r = renderAt(<RunScreen store={store} controls={{ requestAbort: () => {}, forceQuit: () => {} }} theme={{ colour: false, ascii: false }} runbook={rb} transcript={false} />, { columns: 80, rows: 24 });
  store.emit(started(rb));
  store.emit({ type: 'step-started', at: Date.now(), stepId: 'backup', attempt: 1 });
  const p = store.ask({ id: 'd1', kind: 'checklist', stepId: 'backup', items: ['one', 'two', 'three'], notes: true }, new AbortController().signal);
  await r.waitFor((f) => f.includes('Tick'));
  r.stdin.write(' ');
  r.stdin.write(KEY.down);
  r.stdin.write(' ');
  console.log(await r.waitFor((f) => f.includes('2/3')));
  await r.type(KEY.enter);
  await r.waitFor((f) => f.includes('Notes'));
  r.stdin.write('all good, glad');
  console.log(await r.waitFor((f) => f.includes('glad')));
  await r.type(KEY.enter);
  console.log(JSON.stringify(await p));
});
