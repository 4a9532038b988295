import { truncate } from '../plain/table.js';

/**
 * Text shaping for a fixed-size screen. Every line the TUI draws is cut to its width here (or by Ink's
 * truncate), never wrapped by the terminal: a wrapped line would push the frame past the screen's height.
 */

/** Display length in code points (what table.ts counts too). */
export function len(s: string): number {
  return [...s].length;
}

/** One line, cut with "…" to `width`; newlines and tabs inside a value must not break the row. */
export function line(s: string, width: number): string {
  return truncate(s.replace(/\r?\n/g, '⏎').replace(/\t/g, '  '), Math.max(1, width));
}

/** Word-wrap `text` to `width`, at most `maxLines` lines; the last kept line ends in "…" when text was cut. */
export function wrap(text: string, width: number, maxLines: number): string[] {
  if (maxLines <= 0 || width <= 0) return [];
  const out: string[] = [];
  for (const para of text.trim().split(/\r?\n/)) {
    let cur = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (!cur) cur = word;
      else if (len(cur) + 1 + len(word) <= width) cur = `${cur} ${word}`;
      else {
        out.push(cur);
        cur = word;
      }
      // A single word longer than the line is cut rather than wrapped mid-word.
      while (len(cur) > width) {
        out.push(truncate(cur, width));
        cur = '';
      }
    }
    out.push(cur);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  if (out.length <= maxLines) return out;
  const kept = out.slice(0, maxLines);
  const last = kept[maxLines - 1] ?? '';
  kept[maxLines - 1] = len(last) + 2 <= width ? `${last} …` : `${truncate(last, width - 1)}…`;
  return kept;
}

/** Elapsed time on a clock face: 04:12, or 1:04:12 past the hour. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

/** 100000 → "100,000": counts of output lines must be readable at a glance. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
