import { describe, expect, it } from 'vitest';
import { layout, listWindow } from '../../src/ui/layout.js';

describe('layout()', () => {
  it('puts the step list beside the pane at 80 columns', () => {
    const l = layout(80, 24);
    expect(l.mode).toBe('side');
    expect(l.list.width + 3 + l.pane.width).toBe(l.width);
    expect(l.list.height).toBe(l.bodyHeight);
    expect(l.pane.height).toBe(l.bodyHeight);
  });

  it('keeps the frame one row shorter and one column narrower than the terminal', () => {
    const l = layout(80, 24);
    expect(l.width).toBe(79);
    expect(l.height).toBe(23);
    // banner (2) + body + footer (1) fill the frame exactly
    expect(2 + l.bodyHeight + 1).toBe(l.height);
  });

  it('stacks the list above the pane below 80 columns', () => {
    const l = layout(79, 24);
    expect(l.mode).toBe('stacked');
    expect(l.list.width).toBe(l.width);
    expect(l.pane.width).toBe(l.width);
    expect(l.list.height + 1 + l.pane.height).toBe(l.bodyHeight);
  });

  it('stays usable at 60 columns', () => {
    const l = layout(60, 24, 12);
    expect(l.mode).toBe('stacked');
    expect(l.pane.height).toBeGreaterThanOrEqual(10);
  });

  it('gives a short runbook\'s unused list rows to the pane when stacked', () => {
    expect(layout(60, 24, 3).list.height).toBe(3);
    expect(layout(60, 24, 3).pane.height).toBeGreaterThan(layout(60, 24, 30).pane.height);
  });

  it('gives wider terminals a wider pane (more log), not a wider list', () => {
    const a = layout(80, 24);
    const b = layout(160, 24);
    expect(b.pane.width - a.pane.width).toBeGreaterThan(b.list.width - a.list.width);
    expect(b.list.width).toBeLessThanOrEqual(44);
  });

  it('says when the terminal is too small', () => {
    expect(layout(39, 24).mode).toBe('too-small');
    expect(layout(80, 11).mode).toBe('too-small');
  });
});

describe('listWindow()', () => {
  it('shows everything when it fits', () => {
    expect(listWindow(5, 4, 10)).toEqual({ start: 0, end: 5, above: 0, below: 0 });
  });

  it('keeps the focus visible and counts what is hidden above and below', () => {
    for (let focus = 0; focus < 30; focus++) {
      const w = listWindow(30, focus, 7);
      expect(focus).toBeGreaterThanOrEqual(w.start);
      expect(focus).toBeLessThan(w.end);
      const rows = (w.above ? 1 : 0) + (w.end - w.start) + (w.below ? 1 : 0);
      expect(rows).toBeLessThanOrEqual(7);
      expect(w.above).toBe(w.start);
      expect(w.below).toBe(30 - w.end);
    }
  });

  it('fills the window at the end of the list instead of leaving rows empty', () => {
    const w = listWindow(20, 19, 7);
    expect(1 + (w.end - w.start)).toBe(7);
  });
});
