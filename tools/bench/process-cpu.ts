import * as fs from 'fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used so far (Linux /proc); null when it is gone or not Linux. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** The pid a tools/infra service wrote (kafka, mariadb), if it runs. */
export function infraPid(service: 'kafka' | 'mariadb'): number | undefined {
  const file = `${process.env.RECMESH_RUN ?? '/tmp/recmesh-run'}/${service}/${service === 'kafka' ? 'kafka.pid' : 'mariadbd.pid'}`;
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds used by each named process between `start()` and `stop()`. */
export class CpuMeter {
  private readonly began = new Map<string, number | null>();

  constructor(private readonly pids: Readonly<Record<string, number | undefined>>) {
    for (const [name, pid] of Object.entries(pids)) this.began.set(name, processCpuSeconds(pid));
  }

  stop(): Record<string, number | null> {
    const used: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.began.get(name);
      const now = processCpuSeconds(pid);
      used[name] = before == null || now == null ? null : Number((now - before).toFixed(2));
    }
    return used;
  }
}
