/**
 * Runs one of the bench's own programs (bench/*.ts) in a separate Node process, optionally niced,
 * and collects the JSON lines it prints: the last one is its result, the others are progress.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './lib.js';

export function runBenchProgram<T>(
  script: string,
  argument: unknown,
  options: { nice?: number; onLine?: (line: Record<string, unknown>) => void } = {},
): Promise<T> {
  const args = ['--import', 'tsx', path.join(ROOT, 'bench', script), JSON.stringify(argument)];
  const [command, commandArgs] = options.nice === undefined ? [process.execPath, args] : ['nice', ['-n', String(options.nice), process.execPath, ...args]];
  const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  let last: Record<string, unknown> | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!text.trim()) continue;
      last = JSON.parse(text) as Record<string, unknown>;
      options.onLine?.(last);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && last) resolve(last as T);
      else reject(new Error(`bench/${script} exited with ${code}`));
    });
  });
}
