/** What a running server costs the machine (resident memory) and how long it takes to start answering. */
import { readFileSync } from 'node:fs';
import { startServer } from './lib.js';

export interface Memory {
  /** Resident set size now, and its peak over the process's life (VmHWM), in MB. */
  rssMB: number;
  peakRssMB: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: +(kb('VmRSS') / 1024).toFixed(1), peakRssMB: +(kb('VmHWM') / 1024).toFixed(1) };
}

/** Clock ticks a second in /proc/PID/stat (USER_HZ: 100 on every Linux Node supports). */
export const TICKS_PER_SECOND = 100;

/** CPU time (user + system) the process has used, in clock ticks. */
export function cpuTicks(pid: number): number {
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Waits until the process is idle (under 10% of a core over a quarter second), at most `limitMs`.
 * A load generator that stops does not stop the server: requests still queued keep it busy, and
 * that work must not fall on the next subject's measurement.
 */
export async function settle(pid: number, limitMs = 120_000): Promise<number> {
  const started = performance.now();
  let before = cpuTicks(pid);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = cpuTicks(pid);
    if (after - before <= 2 || performance.now() - started > limitMs) return (performance.now() - started) / 1000;
    before = after;
  }
}

/**
 * Seconds from spawning `tally serve` on an existing database to the first 200 answer of `path`
 * (with a token issued earlier on that database: tokens live in the database).
 */
export async function startupSeconds(dataDir: string, args: string[], path: string, token: string): Promise<number> {
  const started = performance.now();
  const server = await startServer(dataDir, args);
  try {
    for (;;) {
      const response = await fetch(`${server.vb365}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      if (response.status === 200) return (performance.now() - started) / 1000;
      if (performance.now() - started > 120_000) throw new Error(`no 200 answer within 120 s (last ${response.status})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await server.stop();
  }
}
