/**
 * Heavy, synchronous domain computations of a request run off the request thread, under a time
 * budget (issue 19, item 1: "a request that runs past its time budget is cancelled, and the server
 * keeps answering other requests meanwhile").
 *
 * A computation of the closed set `ComputeTasks` is sent, with its inputs as plain data, to a
 * worker thread (services/computeWorker.ts) while the main thread keeps answering. If the answer
 * has not come when the budget runs out (counted from the call, waiting for a free worker
 * included), the worker is terminated — that is what stops the work, since a synchronous loop
 * cannot be interrupted otherwise — and the caller gets `Unavailable` (each face renders it in its
 * dialect, 503). The next computation starts on a fresh worker.
 *
 * At most MAX_WORKERS computations run at once (the machine's cores are shared with the request
 * thread and the ingestion worker); further ones wait for a free worker within their budget. One
 * idle worker is kept warm; workers are unref'ed so they never keep the process alive.
 *
 * Commands and tests that build no ComputeService call the domain functions in process.
 */
import { Worker } from 'node:worker_threads';
import type { AgentSegment, ReportCounter } from '../domain/monthlyReport.js';
import type { OrganizationUsage, UserHistory } from '../domain/vb365MonthlyReport.js';
import type { Vb365License, VspcLicense } from '../domain/licenses.js';
import type { Instant } from '../time.js';
import { Unavailable } from './errors.js';

/** The computations a worker can run: name → (arguments, result), all plain data. */
export interface ComputeTasks {
  usageByOrganization: {
    args: [histories: UserHistory[], license: Vb365License, start: Instant, end: Instant, zone: string];
    result: OrganizationUsage[];
  };
  managedMonthCounters: {
    args: [segments: AgentSegment[], license: VspcLicense | null, start: Instant, end: Instant, zone: string];
    result: Map<string, ReportCounter[]>;
  };
}

export type ComputeRequest = { [K in keyof ComputeTasks]: { id: number; task: K; args: ComputeTasks[K]['args'] } }[keyof ComputeTasks];
export type ComputeReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; failure: string };

/** Default time budget of one computation. */
export const DEFAULT_COMPUTE_BUDGET_MS = 30_000;
/** Computations running at once. */
export const MAX_WORKERS = 2;

/**
 * The worker: `dist/compute-worker.js` in the bundle; under tsx (tests), the source beside this
 * file, loaded after registering tsx in the worker (Node 20 does not carry `--import tsx` hooks
 * into worker threads reliably).
 */
function newWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(here.includes('/chunks/') ? '../compute-worker.js' : './compute-worker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = new URL('./computeWorker.ts', here).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`, { eval: true });
}

interface Job {
  request: ComputeRequest;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
  worker?: Worker;
}

export class ComputeService {
  /** The time budget of each computation; tests may lower it. */
  budgetMs: number;
  private nextId = 0;
  private idle: Worker[] = [];
  private readonly running = new Map<number, Job>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(options: { budgetMs?: number } = {}) {
    this.budgetMs = options.budgetMs ?? DEFAULT_COMPUTE_BUDGET_MS;
  }

  /** Runs `task` in a worker; `Unavailable` when it does not finish within the budget. */
  run<K extends keyof ComputeTasks>(task: K, ...args: ComputeTasks[K]['args']): Promise<ComputeTasks[K]['result']> {
    if (this.closed) return Promise.reject(new Unavailable('The server is shutting down; try again later.'));
    const request = { id: ++this.nextId, task, args } as ComputeRequest;
    return new Promise((resolve, reject) => {
      const job: Job = {
        request,
        resolve: resolve as (result: unknown) => void,
        reject,
        timer: setTimeout(() => this.expire(job), this.budgetMs),
      };
      job.timer.unref();
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Terminates every worker; computations still running or waiting are answered Unavailable. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new Unavailable('The server is shutting down; try again later.');
    for (const job of [...this.queue, ...this.running.values()]) this.finish(job, () => job.reject(error));
    const workers = this.idle;
    this.idle = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.running.size < MAX_WORKERS) {
      const job = this.queue.shift()!;
      const worker = this.idle.pop() ?? this.spawn();
      job.worker = worker;
      this.running.set(job.request.id, job);
      worker.postMessage(job.request);
    }
  }

  private spawn(): Worker {
    const worker = newWorker();
    worker.unref();
    worker.on('message', (reply: ComputeReply) => {
      const job = this.running.get(reply.id);
      if (!job) return;
      this.finish(job, () => (reply.ok ? job.resolve(reply.result) : job.reject(new Error(reply.failure))));
      if (this.closed || this.idle.length > 0) void worker.terminate();
      else this.idle.push(worker);
      this.dispatch();
    });
    const lost = (error: Error) => {
      this.idle = this.idle.filter((w) => w !== worker);
      for (const job of this.running.values()) if (job.worker === worker) this.finish(job, () => job.reject(error));
      this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the compute worker stopped (exit code ${code})`)));
    return worker;
  }

  /** The budget ran out: the work is cancelled by terminating its worker. */
  private expire(job: Job): void {
    const worker = job.worker;
    this.finish(job, () => job.reject(new Unavailable(`The request took longer than its time budget of ${formatBudget(this.budgetMs)} and was cancelled; try a shorter interval or try again later.`)));
    if (worker) void worker.terminate();
    this.dispatch();
  }

  private finish(job: Job, settle: () => void): void {
    clearTimeout(job.timer);
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    if (!this.running.delete(job.request.id) && queued < 0) return; // already settled
    settle();
  }
}

function formatBudget(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
