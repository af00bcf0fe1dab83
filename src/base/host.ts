// The host a run ran on, as every report states it first.

import os from 'node:os';

export interface HostInfo {
  readonly cores: number;
  readonly arch: string;
  readonly node: string;
  readonly cpuModel: string;
}

export function hostInfo(): HostInfo {
  return { cores: os.availableParallelism(), arch: process.arch, node: process.version, cpuModel: os.cpus()[0]?.model ?? 'unknown' };
}

/** The report's first line: `host: 2 cores x64 (Intel(R) Xeon(R) Processor), Node v20.20.2`. */
export function hostLine(host: HostInfo): string {
  return `host: ${host.cores} cores ${host.arch} (${host.cpuModel}), Node ${host.node}`;
}
