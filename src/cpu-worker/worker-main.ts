// The control plane of one emulated CPU: what the coordinator calls through comlink to attach
// the shared memory and to run. The hot path never goes through here: a run is one call that
// returns when the run is over, and everything in between happens in shared memory.

import { parentPort } from 'node:worker_threads';
import { expose, transfer } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { SharedMachine, type SharedMachineBuffers } from '../shared-memory/shared-machine.ts';
import { EmulatedCpu } from '../kernel/cpu.ts';
import { runCpu, type CpuRunPlan, type CpuRunReport } from './run.ts';

let cpu: EmulatedCpu | undefined;

const api = {
  attach(buffers: SharedMachineBuffers, id: number): void {
    cpu = new EmulatedCpu(new SharedMachine(buffers), id);
  },

  run(plan: CpuRunPlan): CpuRunReport {
    if (!cpu) throw new Error('run() before attach()');
    const report = runCpu(cpu, plan);
    // Sample arrays can be megabytes: move them, do not copy them.
    const buffers = report.operation ? [report.operation.serializeUs.buffer, report.operation.ipisByPmd.buffer] : [];
    if (report.walker) buffers.push(report.walker.latencyUs.buffer);
    return transfer(report, buffers);
  },
};

export type CpuWorkerApi = typeof api;

if (!parentPort) throw new Error('worker-main.ts must run in a worker thread');
expose(api, nodeEndpoint(parentPort));
