import { describe, expect, it } from 'vitest';
import { initialUi, uiReduce } from '../../src/ui/uiState.js';

describe('uiReduce()', () => {
  it('toggles an overlay and opens the log at its tail', () => {
    const scrolled = { ...initialUi, logScroll: 9 };
    const open = uiReduce(scrolled, { type: 'toggle-overlay', overlay: 'log' });
    expect(open).toMatchObject({ overlay: 'log', logScroll: 0 });
    expect(uiReduce(open, { type: 'toggle-overlay', overlay: 'log' }).overlay).toBe('none');
    expect(uiReduce(open, { type: 'toggle-overlay', overlay: 'help' }).overlay).toBe('help');
    expect(uiReduce(open, { type: 'close-overlay' }).overlay).toBe('none');
  });

  it('asks a question, dismisses it, and marks an abort as under way', () => {
    const asked = uiReduce(initialUi, { type: 'ask', question: 'abort-step' });
    expect(asked.question).toBe('abort-step');
    expect(uiReduce(asked, { type: 'dismiss' }).question).toBeNull();
    expect(uiReduce({ ...asked, textEntry: true }, { type: 'abort-confirmed' })).toMatchObject({ question: null, aborting: true, textEntry: false });
  });

  it('moves the cursor from the followed step and keeps it inside the list', () => {
    const moved = uiReduce(initialUi, { type: 'cursor', delta: -1, from: 3, count: 6 });
    expect(moved.cursor).toBe(2);
    expect(uiReduce({ ...initialUi, cursor: 0 }, { type: 'cursor', delta: -1, from: 3, count: 6 }).cursor).toBe(0);
    expect(uiReduce({ ...initialUi, cursor: 5 }, { type: 'cursor', delta: 1, from: 3, count: 6 }).cursor).toBe(5);
    expect(uiReduce(moved, { type: 'follow' }).cursor).toBeNull();
    expect(uiReduce(initialUi, { type: 'cursor', delta: 1, from: 0, count: 0 })).toBe(initialUi);
  });

  it('scrolls the log between its end and its top', () => {
    const up = uiReduce(initialUi, { type: 'log-scroll', delta: 50, max: 20 });
    expect(up.logScroll).toBe(20);
    expect(uiReduce(up, { type: 'log-scroll', delta: -100, max: 20 }).logScroll).toBe(0);
    expect(uiReduce(up, { type: 'log-end' }).logScroll).toBe(0);
  });

  it('records text entry without a new object when nothing changes', () => {
    expect(uiReduce(initialUi, { type: 'text-entry', on: false })).toBe(initialUi);
    expect(uiReduce(initialUi, { type: 'text-entry', on: true }).textEntry).toBe(true);
  });
});
