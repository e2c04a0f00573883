import { ChildProcess, spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as net from 'net';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/** Each app (apps/<app>): the variable that sets its HTTP port, and the gRPC ports it binds besides (tools/build/apps.json, which the startup bench reads too). */
export const APP_PORTS: Record<string, { httpPort: string; grpcPorts: string[] }> = JSON.parse(readFileSync(path.join(ROOT, 'tools/build/apps.json'), 'utf8'));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A recmesh service started as its own OS process, the way production runs it. */
export class ServiceProcess {
  private output = '';
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.output += d.toString()));
    child.stderr?.on('data', (d) => (this.output += d.toString()));
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** From the TypeScript sources through tools/run-ts.js, or with `built` from `npm run build`'s dist/apps/<app>/main.js. */
  static start(app: string, port: number, env: Record<string, string>, options: { built?: boolean } = {}): ServiceProcess {
    // e.g. RECMESH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the services under test
    const nodeArgs = (process.env.RECMESH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const entry = options.built ? [`dist/apps/${app}/main.js`] : [path.join(ROOT, 'tools/run-ts.js'), `apps/${app}/src/main.ts`];
    const child = spawn(process.execPath, [...nodeArgs, ...entry], {
      cwd: ROOT,
      // The admin APIs (experiments, privacy: feedback, standalone) on any free port unless a test names one: services under test never collide.
      // Nor do their data: embedded services keep nothing on disk unless a test gives them a RECMESH_DATA_DIR.
      env: { ...process.env, EXPERIMENTS_GRPC_PORT: '0', PRIVACY_GRPC_PORT: '0', RECMESH_DATA_DIR: ':memory:', ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(app, port, child);
  }

  get logs(): string {
    return this.output;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Still running (neither exited nor killed). */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit!;
  }

  /** Waits for /health (alive), whatever /ready says. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    return this.waitFor('/health', timeoutMs);
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    return this.waitFor('/ready', timeoutMs);
  }

  private async waitFor(endpoint: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}${endpoint}`);
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    // A service that never got there is stopped, not left running as an orphan of the test.
    this.child.kill('SIGKILL');
    throw new Error(`${this.name} not ready after ${timeoutMs} ms (last ${endpoint}: ${last}), killed:\n${this.output}`);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after 20 s; resolves with how the process ended. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}
