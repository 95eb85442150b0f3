/**
 * One progress line on a terminal: done so far, rate, percentage and time left, redrawn in place
 * (`\r`) at most ten times a second. Written only when standard error is a terminal: in a pipe or
 * a log file the redraws would be noise, so nothing is written there at all. Hand-written: a bar
 * library would be a dependency for twenty lines.
 */
export interface Progress {
  /** `done` units so far; `fraction` of the whole (0..1) when the total is known. */
  update(done: number, fraction?: number): void;
  /** Ends the line (only if one was drawn). */
  finish(): void;
}

const WIDTH = 20;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function progressLine(
  label: string,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = () => performance.now(),
): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const started = now();
  let drawn = 0;
  let lastDraw = -Infinity;
  let last: { done: number; fraction: number | undefined } = { done: 0, fraction: undefined };
  const draw = () => {
    const { done, fraction } = last;
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const parts = [`tally: ${label}`];
    if (fraction !== undefined) {
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(fraction * 100)}%`);
    }
    parts.push(`${count(done)} ${unit}`, `${count(rate)} ${unit}/s`);
    if (fraction !== undefined && fraction > 0) parts.push(`${duration((seconds * (1 - fraction)) / fraction)} left`);
    const text = parts.join('  ');
    // Clear what a longer previous line left behind.
    stream.write(`\r${text}${' '.repeat(Math.max(0, drawn - text.length))}`);
    drawn = text.length;
    lastDraw = now();
  };
  return {
    update(done, fraction) {
      last = { done, fraction };
      if (now() - lastDraw >= 100) draw();
    },
    finish() {
      if (drawn === 0) return;
      draw();
      stream.write('\n');
      drawn = 0;
    },
  };
}
