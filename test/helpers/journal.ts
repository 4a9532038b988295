import type { RunEvent } from '../../src/core/events.js';
import { encodeLine, GENESIS } from '../../src/core/journal.js';

/** Events as the journal file holds them: hash-chained JSON lines from the genesis hash. */
export function journalText(evts: readonly RunEvent[]): string {
  let prev = GENESIS;
  return evts
    .map((e, i) => {
      const { text, hash } = encodeLine(prev, i + 1, e);
      prev = hash;
      return text;
    })
    .join('');
}
