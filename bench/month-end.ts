/**
 * The VSPC month-end report over the report ledger (10,000 companies and 1 million agents at full
 * scale), timed through the admin API on a warm server (`GET /tally/v1/reports/vspc/MONTH`) and
 * once through the command line (`tally report`, process start included). The month is the clock's
 * running month: a draft, computed on every call and never frozen, so the cached ledger stays as it
 * was generated and every call does the full work.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { SERVE_ARGS } from './cache.js';
import { ADMIN_PASSWORD, CLOCK, REPORT_MONTH, type LedgerPlan } from './ledger.js';
import { call, ROOT, startServer, token } from './lib.js';
import { memoryOf, type Memory } from './server-probes.js';

interface ReportShape {
  status: string;
  companies: { counters: { reportedCount: number; newCount: number }[] }[];
}

export interface MonthEndResult {
  apiSeconds: number[];
  cliSeconds: number;
  companiesReported: number;
  agentsReported: number;
  bytes: number;
  serverMemory: Memory;
}

export async function measureMonthEnd(dataDir: string, plan: LedgerPlan, tries: number, log: (line: string) => void): Promise<MonthEndResult> {
  const server = await startServer(dataDir, ['--http', ...SERVE_ARGS]);
  const apiSeconds: number[] = [];
  let body = '';
  let serverMemory: Memory;
  try {
    const auth = { authorization: `Bearer ${await token(server.vspc, 'vspc', ADMIN_PASSWORD)}` };
    for (let i = 0; i < tries; i++) {
      const started = performance.now();
      const response = await call('GET', `${server.vspc}/tally/v1/reports/vspc/${REPORT_MONTH}`, auth);
      apiSeconds.push(+((performance.now() - started) / 1000).toFixed(3));
      if (response.status !== 200) throw new Error(`report answered ${response.status}: ${response.text.slice(0, 300)}`);
      body = response.text;
      log(`month-end report ${REPORT_MONTH} via the admin API: ${apiSeconds.at(-1)} s`);
    }
    serverMemory = memoryOf(server.child.pid!);
  } finally {
    await server.stop();
  }
  const report = JSON.parse(body) as ReportShape;
  if (report.status !== 'Draft') throw new Error(`expected a draft report, got ${report.status}`);
  const agentsReported = report.companies.reduce((s, c) => s + c.counters.reduce((t, k) => t + k.reportedCount, 0), 0);
  if (report.companies.length === 0 || report.companies.length > plan.companies || agentsReported > plan.agents) {
    throw new Error(`the report names ${report.companies.length} companies and ${agentsReported} agents; the ledger has ${plan.companies} and ${plan.agents}`);
  }
  const cliStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'report', '--data', dataDir, '--month', REPORT_MONTH, '--clock', CLOCK, '--format', 'json'], { maxBuffer: 1 << 30 }, (error) => (error ? reject(error) : resolve()));
  });
  const cliSeconds = +((performance.now() - cliStarted) / 1000).toFixed(3);
  log(`month-end report ${REPORT_MONTH} via tally report: ${cliSeconds} s`);
  return { apiSeconds, cliSeconds, companiesReported: report.companies.length, agentsReported, bytes: body.length, serverMemory };
}
