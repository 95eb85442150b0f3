/**
 * The compute worker thread (started by ComputeService, services/offload.ts): runs the pure domain
 * computations a request may spend seconds in, off the thread that answers every other request.
 * It holds no connection and no state: each message names a task of the closed set below and
 * carries its inputs as plain data (structured clone); the answer is plain data too. Cancelling a
 * task is terminating this thread (the main thread does that when the request's time budget runs
 * out), which is why nothing here may hold anything that outlives one task.
 */
import { parentPort } from 'node:worker_threads';
import { managedMonthCounters } from '../domain/monthlyReport.js';
import { usageByOrganization } from '../domain/vb365MonthlyReport.js';
import type { ComputeReply, ComputeRequest } from './offload.js';

const port = parentPort!;

function run(request: ComputeRequest): unknown {
  switch (request.task) {
    case 'usageByOrganization':
      return usageByOrganization(...request.args);
    case 'managedMonthCounters':
      return managedMonthCounters(...request.args);
  }
}

port.on('message', (request: ComputeRequest) => {
  let reply: ComputeReply;
  try {
    reply = { id: request.id, ok: true, result: run(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, failure: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
