/**
 * Where everything goes, as a pure function of the terminal size (STYLE §8). One breakpoint: at 80 columns
 * and wider the step list sits beside the step pane; below it they are stacked. Wider terminals give the
 * extra columns to the pane (more log), taller ones give the extra rows to both.
 */

export const SIDE_BY_SIDE_MIN_COLUMNS = 80;
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

export const BANNER_HEIGHT = 2;
export const FOOTER_HEIGHT = 1;
/** " │ " between the list and the pane. */
export const SIDE_GUTTER = 3;

export interface Box {
  width: number;
  height: number;
}

export interface Layout {
  columns: number;
  rows: number;
  mode: 'side' | 'stacked' | 'too-small';
  /**
   * The frame is one column narrower and one row shorter than the terminal. A frame as tall as the screen
   * makes Ink clear and repaint the whole terminal on every frame (too many bytes over SSH); a line as wide
   * as the screen leaves some terminals in the pending-wrap state, where erase-to-end-of-line eats the last
   * character.
   */
  width: number;
  height: number;
  /** Rows between the banner and the footer. */
  bodyHeight: number;
  list: Box;
  pane: Box;
}

/**
 * @param stepCount in the stacked layout the list takes no more rows than there are steps, so short
 *   runbooks leave more room to the pane.
 * @param alertRows rows under the banner taken by a raised rollback trigger (AlertBar).
 */
export function layout(columns: number, rows: number, stepCount = Number.POSITIVE_INFINITY, alertRows = 0): Layout {
  const width = Math.max(1, columns - 1);
  const height = Math.max(1, rows - 1);
  const bodyHeight = Math.max(0, height - BANNER_HEIGHT - FOOTER_HEIGHT - alertRows);
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return { columns, rows, mode: 'too-small', width, height, bodyHeight, list: { width: 0, height: 0 }, pane: { width, height: bodyHeight } };
  }
  if (columns >= SIDE_BY_SIDE_MIN_COLUMNS) {
    // The list needs room for "✔ 12 " and a readable title; past that, every column goes to the pane.
    const listWidth = Math.min(44, Math.max(26, Math.floor(width * 0.34)));
    return {
      columns,
      rows,
      mode: 'side',
      width,
      height,
      bodyHeight,
      list: { width: listWidth, height: bodyHeight },
      pane: { width: width - listWidth - SIDE_GUTTER, height: bodyHeight },
    };
  }
  // Stacked: the list shows a window of steps around the current one, a rule, then the pane.
  const maxList = Math.max(3, Math.floor(bodyHeight * 0.35));
  const listHeight = Math.max(1, Math.min(maxList, stepCount));
  return {
    columns,
    rows,
    mode: 'stacked',
    width,
    height,
    bodyHeight,
    list: { width, height: listHeight },
    pane: { width, height: Math.max(0, bodyHeight - listHeight - 1) },
  };
}

/**
 * Which `height` rows of a list of `count` to show so that `focus` is visible, with one row at each end
 * given to a "↑ n more" / "↓ n more" marker when items are hidden there.
 */
export function listWindow(count: number, focus: number, height: number): { start: number; end: number; above: number; below: number } {
  if (count <= height) return { start: 0, end: count, above: 0, below: 0 };
  if (height < 3) {
    const start = Math.max(0, Math.min(count - height, focus));
    return { start, end: start + height, above: 0, below: 0 };
  }
  const f = Math.max(0, Math.min(count - 1, focus));
  // Try to keep the focus a little below the top so the finished step before it stays in view.
  let start = Math.max(0, f - Math.floor((height - 2) / 3));
  // Near the end, fill the window rather than leave rows empty under the last step.
  start = Math.min(start, Math.max(0, count - (height - 1)));
  for (;;) {
    const above = start > 0 ? 1 : 0;
    const slots = height - above;
    const end = start + slots >= count ? count : start + slots - 1;
    if (f < end || end === count) {
      return { start, end, above: start, below: count - end };
    }
    start++;
  }
}
