// Checks of what SREs deploy: the container image (deploy/docker) and the Helm
// chart (deploy/helm/recmesh).
//
// The Dockerfile is checked statically (no Docker daemon here): its stages,
// a non-root USER, HEALTHCHECK, EXPOSE, onnxruntime's install skipped, no
// credential baked in; its entrypoint and healthcheck scripts are run.
//
// The chart goes through `helm lint`, `helm template` with the least values a
// deployment needs (ci/minimal-values.yaml), with every option on
// (ci/all-on-values.yaml) and a few variants, and every rendered object
// through kube-validate (tools/infra/kube-validate): a strict decode against
// the Kubernetes API types. Then what those cannot know: every environment
// variable the chart sets is one the app really reads, ports match the apps'
// config, probes, Services, autoscalers, disruption budgets and the
// ServiceMonitor select what they mean to, and the password stays in Secrets.
//
// helm and kube-validate are required: without them (`tools/infra/helm.sh
// ensure` builds both from the Go module proxy; .ci/run does) these tests
// FAIL, they are never skipped. $HELM and $KUBE_VALIDATE name other binaries.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { CORE_SCHEMA, load, loadAll, mergeTag } from 'js-yaml';
import { DriverUtils } from 'typeorm/driver/DriverUtils';
import * as accessControl from '@recmesh/access-control';
import * as attribution from '@recmesh/attribution';
import * as bundleService from '@recmesh/bundle-service';
import * as experiments from '@recmesh/experiments';
import * as features from '@recmesh/features';
import * as gatewayApi from '@recmesh/gateway-api';
import * as ingestion from '@recmesh/ingestion';
import * as privacy from '@recmesh/privacy';
import * as scoring from '@recmesh/scoring';
import { ConfigSchema } from '@recmesh/service-config';
import * as training from '@recmesh/training';

const DEPLOY = __dirname;
const REPO = path.resolve(DEPLOY, '..');
const DOCKER_DIR = path.join(DEPLOY, 'docker');
const CHART = path.join(DEPLOY, 'helm', 'recmesh');
const HELM_SH = path.join(REPO, 'tools', 'infra', 'helm.sh');
const MINIMAL = path.join(CHART, 'ci', 'minimal-values.yaml');
const ALL_ON = path.join(CHART, 'ci', 'all-on-values.yaml');
const GPU = path.join(CHART, 'gpu-values.yaml');

// ---------------------------------------------------------------- the apps, from their code

/** The apps the image runs and the chart deploys: apps/* but the all-in-one standalone. */
const APPS = fs
  .readdirSync(path.join(REPO, 'apps'))
  .filter((d) => d !== 'standalone' && fs.existsSync(path.join(REPO, 'apps', d, 'src', 'main.ts')))
  .sort();

/** Every exported `...ConfigSchema` of the libs the apps take their settings from, by name. */
const CONFIG_SCHEMAS = new Map<string, ConfigSchema>(
  [accessControl, attribution, bundleService, experiments, features, gatewayApi, ingestion, privacy, scoring, training].flatMap((lib) =>
    Object.entries(lib as Record<string, unknown>).filter(([name]) => name.endsWith('ConfigSchema')).map(([name, schema]) => [name, schema as ConfigSchema] as const),
  ),
);
const schema = (name: string): ConfigSchema => {
  const found = CONFIG_SCHEMAS.get(name);
  if (!found) throw new Error(`no lib exports ${name}`);
  return found;
};

function mainSource(app: string): string {
  return fs.readFileSync(path.join(REPO, 'apps', app, 'src', 'main.ts'), 'utf8');
}

/** The schemas an app's main.ts passes to loadConfig(...), by name (e.g. `{ ...FeedbackConfigSchema, ...ExperimentsConfigSchema }`). */
function loadedSchemas(app: string): string[] {
  const call = /loadConfig\(([^;]*?)\);/s.exec(mainSource(app))?.[1] ?? '';
  return [...call.matchAll(/\b([A-Z]\w*ConfigSchema)\b/g)].map((m) => m[1]);
}

/** `NAME: { type: ...` settings declared in an app's own main.ts, if any. */
function localSettings(app: string): string[] {
  return [...mainSource(app).matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*\{\s*type:/gm)].map((m) => m[1]);
}

/**
 * Every environment variable an app reads, and each one's default: the
 * schemas its main.ts loads (found among the libs' exports) and any setting
 * declared in main.ts itself.
 */
function appSettings(app: string): { names: Set<string>; defaults: Map<string, unknown> } {
  const names = new Set<string>(localSettings(app));
  const defaults = new Map<string, unknown>();
  for (const name of loadedSchemas(app)) {
    for (const [setting, spec] of Object.entries(schema(name))) {
      names.add(setting);
      defaults.set(setting, spec.default);
    }
  }
  return { names, defaults };
}

/** An app's default of one setting. */
const defaultOf = (app: string, setting: string): unknown => {
  const d = appSettings(app).defaults;
  if (!d.has(setting)) throw new Error(`${app} does not read ${setting}`);
  return d.get(setting);
};

/** Variables a container may get that no config schema lists, and why. */
const NON_SCHEMA_ENV: Record<string, string> = {
  SERVICE: 'picks the app in the image (deploy/docker/entrypoint.sh)',
  MYSQL_PASSWORD: 'only interpolated into MYSQL_URL with an existing Secret',
  NODE_OPTIONS: "node's own (ci/all-on-values.yaml sets it through extraEnv)",
};

// ---------------------------------------------------------------- Dockerfile parsing

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped, each with its stage. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) continue; // comments (also inside a continued instruction) and parser directives
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  let stage = '';
  let index = 0;
  return logical.map((l) => {
    const m = /^(\S+)\s*(.*)$/s.exec(l)!;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') {
      const as = /\sAS\s+(\S+)/i.exec(m[2]);
      stage = as ? as[1] : `stage-${index}`;
      index++;
    }
    return { keyword, args: m[2], stage };
  });
}

// ---------------------------------------------------------------- tools

const TOOL_HINT =
  'Build it with `bash tools/infra/helm.sh ensure` (helm and kube-validate from the Go module proxy into ' +
  '${RECMESH_CACHE:-~/.cache/recmesh}/bin; needs Go >= 1.26), or name binaries with HELM= / KUBE_VALIDATE=. ' +
  'These checks are required and never skipped.';

function findTool(name: 'helm' | 'kube-validate'): { bin: string } | { problem: string } {
  const fromEnv = name === 'helm' ? process.env.HELM : process.env.KUBE_VALIDATE;
  if (fromEnv) return fs.existsSync(fromEnv) ? { bin: fromEnv } : { problem: `${fromEnv} (from the environment) does not exist. ${TOOL_HINT}` };
  const r = spawnSync('bash', [HELM_SH, 'which', name], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return { bin: r.stdout.trim() };
  return { problem: `${name} is not built (${`${r.stderr}`.trim()}). ${TOOL_HINT}` };
}

const helmTool = findTool('helm');
const kubeValidateTool = findTool('kube-validate');
const toolBin = (tool: { bin: string } | { problem: string }): string => {
  if ('problem' in tool) throw new Error(tool.problem);
  return tool.bin;
};

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly output: string;
}

function run(bin: string, args: string[], input?: string): Run {
  const r = spawnSync(bin, args, { cwd: REPO, encoding: 'utf8', input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', output: `${r.error ? `${r.error.message}\n` : ''}${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const helm = (...args: string[]) => run(toolBin(helmTool), args);

/** `helm template` of the chart with these values files and --set flags; throws on failure. */
function template(valueFiles: string[], sets: string[] = []): { text: string; objects: K8sObject[] } {
  const args = ['template', 'recmesh', CHART, '--namespace', 'shop', ...valueFiles.flatMap((f) => ['-f', f]), ...sets.flatMap((s) => ['--set', s])];
  const r = helm(...args);
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.output}`);
  const objects = (loadAll(r.stdout) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null && typeof o === 'object');
  return { text: r.stdout, objects };
}

interface KubeValidateReport {
  objects: { apiVersion: string; kind: string; name: string; problems: string[] }[];
}

function kubeValidate(manifest: string): { status: number | null; report: KubeValidateReport; output: string } {
  const r = run(toolBin(kubeValidateTool), ['--json'], manifest);
  let report: KubeValidateReport = { objects: [] };
  try {
    report = JSON.parse(r.stdout) as KubeValidateReport;
  } catch {
    // left empty: the assertions below show the output
  }
  return { status: r.status, report, output: r.output };
}

// ---------------------------------------------------------------- rendered objects

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are walked field by field below
  spec?: any;
  data?: Record<string, string>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}

interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} rendered (have: ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')})`);
  return o;
};
const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'] ?? '';
const containerOf = (d: K8sObject): Container => d.spec.template.spec.containers[0] as Container;
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The environment a Deployment's container ends up with: its ConfigMap's keys and its own env entries. */
function containerEnv(objects: K8sObject[], d: K8sObject): Map<string, EnvVar> {
  const c = containerOf(d);
  const env = new Map<string, EnvVar>();
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) for (const [k, v] of Object.entries(named(objects, 'ConfigMap', from.configMapRef.name).data ?? {})) env.set(k, { name: k, value: v });
  }
  for (const e of c.env ?? []) env.set(e.name, e);
  return env;
}

// ================================================================= the image

describe('container image (deploy/docker)', () => {
  const dockerfile = fs.readFileSync(path.join(DOCKER_DIR, 'Dockerfile'), 'utf8');
  const instructions = parseDockerfile(dockerfile);
  const stages = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.stage);
  const finalStage = stages[stages.length - 1];
  const inStage = (stage: string, keyword: string) => instructions.filter((i) => i.stage === stage && i.keyword === keyword);
  const entrypoint = fs.readFileSync(path.join(DOCKER_DIR, 'entrypoint.sh'), 'utf8');
  // the healthcheck is plain node (the image runs it as is): required, not imported
  const { HTTP_PORTS } = require(path.join(DOCKER_DIR, 'healthcheck.js')) as { HTTP_PORTS: Record<string, [string, number]> };

  it('is multi-stage: build, production dependencies, runtime last', () => {
    expect(stages).toEqual(['build', 'prod-deps', 'runtime']);
    expect(instructions[0].keyword).toBe('ARG'); // NODE_IMAGE, for every FROM
    for (const from of instructions.filter((i) => i.keyword === 'FROM')) expect(from.args).toMatch(/^\$\{NODE_IMAGE\}\s+AS\s+/);
    expect(inStage('runtime', 'COPY').map((c) => c.args).join('\n')).toMatch(/--from=prod-deps \/app\/node_modules/);
  });

  it('runs as a non-root numeric user in its final stage', () => {
    const users = inStage(finalStage, 'USER');
    expect(users).toHaveLength(1);
    const arg = inStage(finalStage, 'ARG').find((a) => a.args.startsWith('UID='));
    const user = users[0].args.replace(/\$\{UID\}/g, arg ? arg.args.split('=')[1] : '');
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    // nothing after USER needs root
    const afterUser = instructions.slice(instructions.indexOf(users[0]));
    expect(afterUser.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('has a HEALTHCHECK on /health through healthcheck.js, which it copies in', () => {
    const hc = inStage(finalStage, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0].args).toMatch(/CMD \["node", "\/usr\/local\/lib\/recmesh\/healthcheck\.js"\]/);
    expect(hc[0].args).toMatch(/--start-period=\d+s/);
    expect(inStage(finalStage, 'COPY').some((c) => /deploy\/docker\/healthcheck\.js .*\/usr\/local\/lib\/recmesh\//.test(c.args))).toBe(true);
  });

  it('EXPOSEs every HTTP and gRPC port the apps listen on by default', () => {
    const exposed = inStage(finalStage, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map(Number).sort();
    const ports = APPS.flatMap((app) => {
      const { defaults } = appSettings(app);
      // 0 is no port of its own (METRICS_PORT: /metrics stays on the HTTP port).
      return [...defaults].filter(([name]) => /_PORT$/.test(name)).map(([, v]) => Number(v)).filter((p) => p > 0);
    });
    expect(exposed).toEqual([...new Set(ports)].sort());
  });

  it("skips onnxruntime-node's install (CUDA download) before any npm install, as .ci/run does", () => {
    for (const stage of ['build', 'prod-deps']) {
      const list = instructions.filter((i) => i.stage === stage);
      const env = list.findIndex((i) => i.keyword === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args));
      const install = list.findIndex((i) => i.keyword === 'RUN' && /npm (install|ci)\b/.test(i.args));
      expect(env).toBeGreaterThanOrEqual(0);
      expect(install).toBeGreaterThan(env);
    }
  });

  it('with --build-arg CUDA=1 installs the CUDA provider from PyPI (wheels in a build cache mount), before USER', () => {
    expect(inStage(finalStage, 'ARG').map((a) => a.args)).toContain('CUDA=0');
    const runs = inStage(finalStage, 'RUN');
    const install = runs.filter((r) => /tools\/cuda\/install-cuda-provider\.sh --force --no-check/.test(r.args));
    expect(install).toHaveLength(1);
    expect(install[0].args).toMatch(/--mount=type=cache,target=(\S+)[\s\S]*RECMESH_CUDA_WHEELS=\1 /);
    expect(install[0].args).toMatch(/if \[ "\$CUDA" = 1 \]/);
    expect(runs.map((r) => r.args).join('\n')).toMatch(/if \[ "\$CUDA" = 1 \]; then apt-get install -y --no-install-recommends python3 python3-pip/);
    expect(inStage(finalStage, 'COPY').some((c) => c.args === 'tools/cuda/install-cuda-provider.sh ./tools/cuda/')).toBe(true);
    expect(entrypoint).toMatch(/cuda_env="\$\{RECMESH_CACHE:-\/opt\/recmesh\/cache\}\/cuda\/env\.sh"/);
  });

  it('builds with `npm run build` and checks every dist/apps/<app>/main.js', () => {
    const build = inStage('build', 'RUN').map((r) => r.args).join('\n');
    expect(build).toContain('npm run build');
    const checked = /for app in ([^;]+);/.exec(build)?.[1].trim().split(/\s+/).sort();
    expect(checked).toEqual(APPS);
  });

  it('bakes in no credential: no secret-looking ARG or ENV, no URL with a password, no .env files in the context', () => {
    for (const i of instructions.filter((x) => x.keyword === 'ARG' || x.keyword === 'ENV')) {
      expect(i.args).not.toMatch(/PASSWORD|SECRET|TOKEN|API_?KEY|MYSQL_URL|CREDENTIAL/i);
      expect(i.args).not.toMatch(/:\/\/[^/\s]*:[^/\s]*@/);
    }
    expect(dockerfile).not.toMatch(/COPY[^\n]*\.env\b/);
    const ignore = fs.readFileSync(path.join(DOCKER_DIR, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const pattern of ['**/node_modules', '.git', 'dist', '**/.env', '**/.env.*', 'tools/model/.venv', '**/.npmrc']) expect(ignore).toContain(pattern);
  });

  it('runs the app SERVICE names under tini, in exec form; the build arg accepts exactly the apps', () => {
    const ep = inStage(finalStage, 'ENTRYPOINT');
    expect(ep).toHaveLength(1);
    expect(JSON.parse(ep[0].args)).toEqual(['/usr/bin/tini', '--', '/usr/local/lib/recmesh/entrypoint.sh']);
    const buildArgCase = /case "\$SERVICE" in\s+([a-z|-]+)\)/.exec(inStage('runtime', 'RUN').map((r) => r.args).join('\n'))?.[1].split('|').sort();
    expect(buildArgCase).toEqual(APPS);
    const entrypointCase = /case "\$\{SERVICE:-\}" in\s+([a-z|-]+)\)/.exec(entrypoint)?.[1].split('|').sort();
    expect(entrypointCase).toEqual(APPS);
    expect(Object.keys(HTTP_PORTS).sort()).toEqual(APPS);
  });

  it("healthcheck.js reads each app's own HTTP port variable, with the app's default", () => {
    for (const app of APPS) {
      const [variable, port] = HTTP_PORTS[app];
      const { names, defaults } = appSettings(app);
      expect(names.has(variable)).toBe(true);
      expect(defaults.get(variable)).toBe(port);
    }
  });

  it('keeps the relative paths the apps default to working (WORKDIR /app holding tools/model)', () => {
    expect(inStage(finalStage, 'WORKDIR').map((w) => w.args)).toEqual(['/app']);
    expect(defaultOf('scorer', 'SCORER_MODEL_DIR')).toBe('tools/model/demo-model');
    expect(defaultOf('bundler', 'BUNDLER_MODEL_FILE')).toMatch(/^tools\/model\//);
    expect(inStage(finalStage, 'COPY').some((c) => /\/src\/tools\/model \.\/tools\/model$/.test(c.args))).toBe(true);
    // the text encoder sits where the apps look by default: $RECMESH_CACHE/text_encoder-built
    const cache = /RECMESH_CACHE=(\S+)/.exec(inStage(finalStage, 'ENV').map((e) => e.args).join(' '))?.[1];
    expect(cache).toBeTruthy();
    expect(inStage(finalStage, 'COPY').some((c) => c.args.endsWith(` ${cache}/text_encoder-built`))).toBe(true);
  });

  describe('healthcheck.js, run', () => {
    let server: http.Server;
    let status = 200;
    let port = 0;
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        res.statusCode = req.url === '/health' ? status : 404;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const healthcheck = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [path.join(DOCKER_DIR, 'healthcheck.js')], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
        child.on('exit', (code) => resolve(code));
      });

    it('exits 0 when /health answers 200 on the port from the app variable', async () => {
      status = 200;
      expect(await healthcheck({ SERVICE: 'scorer', SCORER_PORT: String(port) })).toBe(0);
    });

    it('exits 1 when /health fails, nothing listens, or SERVICE is unknown', async () => {
      status = 503;
      expect(await healthcheck({ SERVICE: 'gateway', GATEWAY_HTTP_PORT: String(port) })).toBe(1);
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect(await healthcheck({ SERVICE: 'ingest', INGEST_PORT: String(closedPort) })).toBe(1);
      expect(await healthcheck({ SERVICE: 'standalone' })).toBe(1);
    });
  });

  describe('entrypoint.sh, run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-entrypoint-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const entry = (env: Record<string, string>, args: string[] = []) =>
      spawnSync('sh', [path.join(DOCKER_DIR, 'entrypoint.sh'), ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

    it('execs node dist/apps/$SERVICE/main.js with the arguments', () => {
      fs.mkdirSync(path.join(dir, 'dist/apps/feedback'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dist/apps/feedback/main.js'), 'console.log(`main ${process.argv.slice(2).join(" ")}`)');
      const r = entry({ SERVICE: 'feedback' }, ['--x']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^main --x/);
    });

    it('refuses an unknown or missing SERVICE, naming the apps', () => {
      for (const env of [{ SERVICE: 'standalone' }, {}] as Record<string, string>[]) {
        const r = entry(env);
        expect(r.status).toBe(64);
        for (const app of APPS) expect(r.stderr).toContain(app);
      }
    });

    it('sources the CUDA env file of a CUDA=1 image, so LD_LIBRARY_PATH is set before node starts', () => {
      fs.mkdirSync(path.join(dir, 'dist/apps/scorer'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dist/apps/scorer/main.js'), 'console.log(`LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ""}`)');
      const cache = path.join(dir, 'cache');
      expect(entry({ SERVICE: 'scorer', RECMESH_CACHE: cache }).stdout.trim()).toBe('LD_LIBRARY_PATH=');
      fs.mkdirSync(path.join(cache, 'cuda'), { recursive: true });
      // the file install-cuda-provider.sh writes, reduced to what the entrypoint relies on
      fs.writeFileSync(path.join(cache, 'cuda', 'env.sh'), "RECMESH_CUDA_LIB_DIR='/opt/nv lib'\nexport RECMESH_CUDA_LIB_DIR\nLD_LIBRARY_PATH=\"$RECMESH_CUDA_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"; export LD_LIBRARY_PATH\n");
      const r = entry({ SERVICE: 'scorer', RECMESH_CACHE: cache, LD_LIBRARY_PATH: '/usr/local/lib' });
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('LD_LIBRARY_PATH=/opt/nv lib:/usr/local/lib');
    });

    it('warns when the trainer runs without its Python venv', () => {
      fs.mkdirSync(path.join(dir, 'dist/apps/trainer'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'dist/apps/trainer/main.js'), '');
      const r = entry({ SERVICE: 'trainer' });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/warning: .*\.venv\/bin\/python is missing/);
    });
  });
});

describe('local split deployment (deploy/docker/compose.yaml)', () => {
  interface ComposeService {
    image?: string;
    build?: { dockerfile?: string; args?: Record<string, string> };
    environment?: Record<string, string | number>;
    ports?: string[];
    volumes?: string[];
  }
  // compose.yaml shares settings through YAML merge keys (<<), which js-yaml resolves only when asked
  const compose = load(fs.readFileSync(path.join(DOCKER_DIR, 'compose.yaml'), 'utf8'), { schema: CORE_SCHEMA.withTags(mergeTag) }) as { services: Record<string, ComposeService> };
  const apps = Object.entries(compose.services).filter(([, s]) => s.environment?.SERVICE !== undefined);

  it('runs every app from the Dockerfile, next to Kafka and MariaDB', () => {
    expect(apps.map(([, s]) => s.environment!.SERVICE).sort()).toEqual(APPS);
    for (const [name, s] of apps) {
      expect(s.environment!.SERVICE).toBe(name);
      expect(s.build?.dockerfile).toBe('deploy/docker/Dockerfile');
    }
    expect(compose.services.trainer.build?.args).toEqual({ SERVICE: 'trainer' });
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'mariadb']));
  });

  it('sets only variables the apps read, and publishes their default ports', () => {
    for (const [name, s] of apps) {
      const { names, defaults } = appSettings(name);
      expect(Object.keys(s.environment!).filter((n) => !names.has(n) && !(n in NON_SCHEMA_ENV))).toEqual([]);
      const published = (s.ports ?? []).map((p) => Number(p.split(':').pop()));
      const httpVar = [...defaults.keys()].find((k) => /_(HTTP_)?PORT$/.test(k) && !/GRPC/.test(k));
      expect(published).toContain(defaults.get(httpVar!));
    }
    const gateway = compose.services.gateway.environment!;
    expect(gateway.SCORER_ADDRESS).toBe(`scorer:${defaultOf('scorer', 'SCORER_GRPC_PORT')}`);
    expect(gateway.BUNDLER_ADDRESS).toBe(`bundler:${defaultOf('bundler', 'BUNDLER_GRPC_PORT')}`);
    expect(gateway.EXPERIMENTS_ADDRESS).toBe(`feedback:${defaultOf('feedback', 'EXPERIMENTS_GRPC_PORT')}`);
  });

  it('gives the trainer, scorer and bundler one models volume at TRAINER_MODELS_DIR', () => {
    const dir = compose.services.trainer.environment!.TRAINER_MODELS_DIR;
    for (const app of ['trainer', 'scorer', 'bundler']) expect(compose.services[app].volumes?.some((v) => v.startsWith(`models:${dir}`))).toBe(true);
  });
});

// ================================================================= the chart

describe('Helm chart (deploy/helm/recmesh)', () => {
  it('has helm and kube-validate (missing ones fail here, with how to build them)', () => {
    expect(toolBin(helmTool)).toBeTruthy();
    expect(toolBin(kubeValidateTool)).toBeTruthy();
    expect(helm('version', '--short').output).toMatch(/^v3\.\d+\.\d+/);
  });

  it("finds each app's settings: the schemas its main.ts loads are exported by the libs", () => {
    for (const app of APPS) {
      const names = loadedSchemas(app);
      expect({ app, hasSchemas: names.length > 0 }).toEqual({ app, hasSchemas: true });
      for (const name of names) expect(() => schema(name)).not.toThrow();
      expect(appSettings(app).names.has('RECMESH_PROFILE')).toBe(true);
    }
    for (const name of ['SCORER_ADDRESS', 'BUNDLER_ADDRESS', 'EXPERIMENTS_ADDRESS']) expect(appSettings('gateway').names.has(name)).toBe(true);
  });

  it('helm lint passes with the minimal values and, --strict, with every option on', () => {
    const minimal = helm('lint', CHART, '-f', MINIMAL);
    expect(minimal.output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(minimal.status).toBe(0);
    const allOn = helm('lint', '--strict', CHART, '-f', ALL_ON);
    expect(allOn.output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(allOn.status).toBe(0);
  });

  it('refuses to render without Kafka and MySQL, saying what is missing', () => {
    const bare = helm('template', 'recmesh', CHART);
    expect(bare.status).not.toBe(0);
    expect(bare.output).toContain('kafka.brokers is required');
    const noDb = helm('template', 'recmesh', CHART, '--set', 'kafka.brokers={k:9092}');
    expect(noDb.status).not.toBe(0);
    expect(noDb.output).toContain('mysql.host is required');
    const noPassword = helm('template', 'recmesh', CHART, '--set', 'kafka.brokers={k:9092}', '--set', 'mysql.host=db');
    expect(noPassword.output).toContain('mysql.password is required');
    const badBroker = helm('template', 'recmesh', CHART, '-f', MINIMAL, '--set', 'kafka.brokers={kafka}');
    expect(badBroker.output).toContain('"kafka" is not host:port');
  });

  it('refuses to render pods that would listen on 0.0.0.0 with neither API keys nor the anonymous opt-out', () => {
    const open = helm('template', 'recmesh', CHART, '-f', MINIMAL, '--set', 'accessControl.allowAnonymous=false');
    expect(open.status).not.toBe(0);
    expect(open.output).toContain('accessControl: set apiKeysSecret (a Secret with the API keys file) or allowAnonymous=true');
  });

  it('refuses Kafka/MySQL TLS and SASL values a service could not connect with, saying why', () => {
    const refusals: Array<[string[], string]> = [
      [['kafka.sasl.mechanism=scram-sha-256', 'kafka.sasl.username=u'], 'kafka.sasl: a mechanism needs username and existingSecret'],
      [['kafka.sasl.mechanism=gssapi'], 'kafka.sasl.mechanism must be none, plain, scram-sha-256 or scram-sha-512'],
      [['mysql.tls.enabled=true'], 'mysql.tls: caKey/certKey/keyKey name keys of mysql.tls.secret, which is empty'],
      [['kafka.tls.enabled=true', 'kafka.tls.secret=s', 'kafka.tls.certKey=tls.crt'], 'kafka.tls: certKey and keyKey go together'],
    ];
    for (const [sets, message] of refusals) {
      const r = helm('template', 'recmesh', CHART, '-f', MINIMAL, ...sets.flatMap((s) => ['--set', s]));
      expect(r.status).not.toBe(0);
      expect(r.output).toContain(message);
    }
  });

  it('refuses a config entry that would fight the chart (a port, an address)', () => {
    for (const set of ['ingest.config.INGEST_PORT=4000', 'gateway.config.SCORER_ADDRESS=x:1', 'scorer.config.KAFKA_BROKERS=x:1']) {
      const r = helm('template', 'recmesh', CHART, '-f', MINIMAL, '--set', set);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/\.config\.[A-Z_]+ is set by the chart/);
    }
  });

  // ------------------------------------------------------------- strict decoding of every rendered object

  const VARIANTS: [string, string[], string[]][] = [
    ['minimal values', [MINIMAL], []],
    ['every option on', [ALL_ON], []],
    ['an existing Secret with the whole MYSQL_URL', [ALL_ON], ['mysql.existingSecretUrlKey=url']],
    ['the GPU scorer overlay (gpu-values.yaml)', [MINIMAL, GPU], []],
    ['no autoscaling, no bundler, no experiments, no trainer', [MINIMAL], ['gateway.autoscaling.enabled=false', 'scorer.autoscaling.enabled=false', 'bundler.enabled=false', 'gateway.experiments=false', 'trainer.enabled=false', 'models.persistence.enabled=false', 'podDisruptionBudget.enabled=false', 'metrics.podAnnotations=false', 'serviceAccount.create=false']],
  ];

  it.each(VARIANTS)('renders with %s, and kube-validate decodes every object strictly', (_name, files, sets) => {
    const { text, objects } = template(files, sets);
    expect(objects.length).toBeGreaterThan(10);
    const v = kubeValidate(text);
    expect(v.report.objects.filter((o) => o.problems.length > 0)).toEqual([]);
    expect(v.report.objects).toHaveLength(objects.length);
    expect(v.status).toBe(0);
  });

  it('kube-validate really is strict (a negative control)', () => {
    const deployment = (extra: string) =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: x}',
        'spec:',
        '  selector: {matchLabels: {app: x}}',
        '  template:',
        '    metadata: {labels: {app: x}}',
        '    spec:',
        '      containers:',
        '        - name: x',
        '          image: x',
        '          ports: [{name: a-port-name-far-too-long, containerPort: 80}]',
        '          readinessProbe: {httpGet: {path: /ready, port: http}}',
        '          resources: {requests: {cpu: "2"}, limits: {cpu: "1", memory: 1Gb}}',
        extra,
      ].join('\n');
    const v = kubeValidate(
      [
        deployment('  replica: 2').replace('memory: 1Gb', 'memory: 1Gi'),
        deployment('  replicas: 2'),
        'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: y}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: Upper_Case}\nspec: {ports: [{port: 80, Port: 81}]}',
        'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\nspec: {selector: {matchLabels: {a: b}}, endpoints: [{port: http, intervall: 15s}]}',
      ].join('\n---\n'),
    );
    expect(v.status).toBe(1);
    const problems = v.report.objects.map((o) => o.problems.join(' | '));
    expect(problems[0]).toMatch(/unknown field "spec.replica"/);
    expect(problems[1]).toMatch(/quantities must match/); // 1Gb
    expect(problems[2]).toMatch(/not a kind of the Kubernetes API/);
    expect(problems[3]).toMatch(/unknown field "spec.ports\[0\].Port"/);
    expect(problems[3]).toMatch(/metadata.name: a DNS-1035 label/);
    expect(problems[4]).toMatch(/unknown field "spec.endpoints\[0\].intervall"/);
    // what decoding cannot see, on a Deployment that decodes
    const semantic = kubeValidate(deployment('  replicas: 2').replace('memory: 1Gb', 'memory: 1Gi'));
    expect(semantic.report.objects[0].problems.join('\n')).toMatch(/port name a-port-name-far-too-long/);
    expect(semantic.report.objects[0].problems.join('\n')).toMatch(/readinessProbe names port "http"/);
    expect(semantic.report.objects[0].problems.join('\n')).toMatch(/requests.cpu \(2\) exceeds its limit \(1\)/);
  });

  // ------------------------------------------------------------- what the objects mean

  describe.each([
    ['minimal values', [MINIMAL]],
    ['every option on', [ALL_ON]],
  ])('with %s', (name, files) => {
    let objects: K8sObject[] = [];
    let deployments: K8sObject[] = [];
    beforeAll(() => {
      if ('problem' in helmTool) return; // the tests below fail on toolBin()
      objects = template(files).objects;
      deployments = byKind(objects, 'Deployment');
    });
    const allOn = name === 'every option on';
    const fullname = allOn ? 'shop-recmesh' : 'recmesh';

    it('deploys every app, with a Service, a ConfigMap and (but the trainer) a PodDisruptionBudget each', () => {
      toolBin(helmTool);
      expect(deployments.map(componentOf).sort()).toEqual(APPS);
      expect(byKind(objects, 'Service').map(componentOf).sort()).toEqual(APPS);
      expect(byKind(objects, 'ConfigMap').map(componentOf).sort()).toEqual(APPS);
      const pdbApps = APPS.filter((a) => a !== 'trainer' && !(allOn && a === 'bundler'));
      expect(byKind(objects, 'PodDisruptionBudget').map(componentOf).sort()).toEqual(pdbApps);
      expect(byKind(objects, 'HorizontalPodAutoscaler').map(componentOf).sort()).toEqual(['gateway', 'scorer']);
      expect(byKind(objects, 'ServiceMonitor')).toHaveLength(allOn ? 1 : 0);
      expect(byKind(objects, 'CronJob')).toHaveLength(allOn ? 1 : 0);
      // every object is named after the release (the all-on ServiceAccount has a name of its own)
      for (const o of objects.filter((x) => !(allOn && x.kind === 'ServiceAccount'))) expect(o.metadata.name.startsWith(fullname)).toBe(true);
    });

    it("sets only environment variables the app reads (by the apps' config schemas)", () => {
      toolBin(helmTool);
      for (const d of deployments) {
        const app = componentOf(d);
        const { names } = appSettings(app);
        const unknown = [...containerEnv(objects, d).keys()].filter((n) => !names.has(n) && !(n in NON_SCHEMA_ENV));
        expect({ app, unknown }).toEqual({ app, unknown: [] });
        expect(containerEnv(objects, d).get('SERVICE')?.value).toBe(app);
      }
    });

    it('listens where the Services, probes and scrape annotations look: the ports are the apps\' defaults', () => {
      toolBin(helmTool);
      for (const d of deployments) {
        const app = componentOf(d);
        const c = containerOf(d);
        const env = containerEnv(objects, d);
        const { defaults } = appSettings(app);
        const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
        const portVars = [...env.keys()].filter((k) => /_PORT$/.test(k));
        expect(portVars.length).toBeGreaterThan(0);
        for (const v of portVars) {
          expect(Number(env.get(v)?.value)).toBe(defaults.get(v));
          expect([...ports.values()]).toContain(defaults.get(v));
        }
        expect(c.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
        expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
        expect(c.startupProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
        const annotations = d.spec.template.metadata.annotations as Record<string, string>;
        expect(annotations['prometheus.io/scrape']).toBe('true');
        expect(Number(annotations['prometheus.io/port'])).toBe(ports.get('http'));
        expect(annotations['prometheus.io/path']).toBe('/metrics');

        const svc = named(objects, 'Service', d.metadata.name);
        expect(selects(svc.spec.selector, d.spec.template.metadata.labels)).toBe(true);
        for (const p of svc.spec.ports as { name: string; port: number; targetPort: string }[]) {
          expect(ports.get(p.targetPort)).toBe(p.port);
        }
      }
    });

    it('gives every container requests and limits, and runs it non-root on a read-only root filesystem', () => {
      toolBin(helmTool);
      const pods = [...deployments.map((d) => d.spec.template.spec), ...byKind(objects, 'CronJob').map((c) => c.spec.jobTemplate.spec.template.spec)];
      for (const pod of pods) {
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        for (const c of pod.containers as Container[]) {
          expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
          expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
          expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        }
      }
    });

    it('binds every pod on 0.0.0.0 with the API keys Secret mounted (every option on) or the explicit anonymous opt-out (minimal)', () => {
      toolBin(helmTool);
      for (const d of deployments) {
        const env = containerEnv(objects, d);
        expect(env.get('BIND_HOST')?.value).toBe('0.0.0.0');
        const mount = containerOf(d).volumeMounts?.find((m) => m.name === 'api-keys');
        if (allOn) {
          expect(env.get('RECMESH_API_KEYS_FILE')?.value).toBe('/etc/recmesh/api-keys/api-keys.jsonl');
          expect(env.has('RECMESH_ALLOW_ANONYMOUS')).toBe(false);
          expect(mount).toEqual({ name: 'api-keys', mountPath: '/etc/recmesh/api-keys', readOnly: true });
          expect((d.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[]).find((v) => v.name === 'api-keys')?.secret?.secretName).toBe('shop-api-keys');
        } else {
          expect(env.get('RECMESH_ALLOW_ANONYMOUS')?.value).toBe('true');
          expect(env.has('RECMESH_API_KEYS_FILE')).toBe(false);
          expect(mount).toBeUndefined();
        }
      }
    });

    it('points the gateway at the scorer, bundler and experiments gRPC Services', () => {
      toolBin(helmTool);
      const env = containerEnv(objects, named(objects, 'Deployment', `${fullname}-gateway`));
      for (const [variable, app] of [['SCORER_ADDRESS', 'scorer'], ['BUNDLER_ADDRESS', 'bundler'], ['EXPERIMENTS_ADDRESS', 'feedback']]) {
        const svc = named(objects, 'Service', `${fullname}-${app}`);
        const grpc = (svc.spec.ports as { name: string; port: number }[]).find((p) => p.name === 'grpc');
        expect(env.get(variable)?.value).toBe(`${svc.metadata.name}:${grpc?.port}`);
      }
      expect(env.has('MYSQL_URL')).toBe(false); // the gateway has no store
    });

    it('keeps the MySQL password in a Secret, and MYSQL_URL decodes to it', () => {
      toolBin(helmTool);
      for (const cm of byKind(objects, 'ConfigMap')) {
        expect(Object.keys(cm.data ?? {})).not.toContain('MYSQL_URL');
        expect(JSON.stringify(cm.data)).not.toMatch(/p@ss|change me/);
      }
      for (const d of deployments.filter((x) => componentOf(x) !== 'gateway')) {
        const env = containerOf(d).env ?? [];
        const url = env.find((e) => e.name === 'MYSQL_URL');
        expect(url).toBeDefined();
        if (!allOn) {
          expect(url?.valueFrom?.secretKeyRef).toEqual({ name: `${fullname}-mysql`, key: 'mysql-url' });
        } else {
          // an existing Secret with the password: Kubernetes expands $(MYSQL_PASSWORD), defined before
          const pw = env.findIndex((e) => e.name === 'MYSQL_PASSWORD');
          expect(env[pw].valueFrom?.secretKeyRef).toEqual({ name: 'recmesh-db', key: 'password' });
          expect(pw).toBeLessThan(env.indexOf(url!));
          expect(url?.value).toBe('mariadb://recmesh_shop1:$(MYSQL_PASSWORD)@mariadb.databases.svc:3307/recmesh_shop1');
        }
      }
      if (!allOn) {
        const secret = named(objects, 'Secret', `${fullname}-mysql`);
        const decoded = (k: string) => Buffer.from(secret.data![k], 'base64').toString('utf8');
        const values = load(fs.readFileSync(MINIMAL, 'utf8')) as { mysql: { password: string; host: string } };
        expect(decoded('mysql-password')).toBe(values.mysql.password);
        // TypeORM's own URL parser (what the services use) gets every part back, special characters included
        expect(DriverUtils.buildDriverOptions({ url: decoded('mysql-url') })).toMatchObject({
          type: 'mysql',
          host: values.mysql.host,
          port: 3306,
          username: 'recmesh',
          password: values.mysql.password,
          database: 'recmesh',
        });
      }
    });

    it('shares one models volume: written by the trainer, read by scorers and bundlers at TRAINER_MODELS_DIR', () => {
      toolBin(helmTool);
      const trainer = named(objects, 'Deployment', `${fullname}-trainer`);
      const modelsDir = containerEnv(objects, trainer).get('TRAINER_MODELS_DIR')?.value;
      expect(modelsDir).toBe(allOn ? '/models' : '/var/lib/recmesh/models');
      const pvc = named(objects, 'PersistentVolumeClaim', `${fullname}-models`);
      expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']);
      for (const app of ['trainer', 'scorer', 'bundler']) {
        const d = named(objects, 'Deployment', `${fullname}-${app}`);
        const mount = containerOf(d).volumeMounts?.find((m) => m.name === 'models');
        expect(mount?.mountPath).toBe(modelsDir);
        expect(Boolean(mount?.readOnly)).toBe(app !== 'trainer');
        const volume = (d.spec.template.spec.volumes as { name: string; persistentVolumeClaim?: { claimName: string } }[]).find((v) => v.name === 'models');
        expect(volume?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
      }
      expect(trainer.spec.replicas).toBe(1);
      expect(trainer.spec.strategy.type).toBe('Recreate');
      expect(containerOf(trainer).image).toBe(allOn ? 'registry.example.com/shop/recmesh-trainer:0.1.0-rc.1-py' : 'recmesh-trainer:0.1.0');
    });

    it('autoscales gateway and scorer (no fixed replicas then), and budgets disruptions of the pods it means', () => {
      toolBin(helmTool);
      for (const hpa of byKind(objects, 'HorizontalPodAutoscaler')) {
        const target = named(objects, 'Deployment', hpa.spec.scaleTargetRef.name);
        expect(target.spec.replicas).toBeUndefined();
        expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
        expect(hpa.spec.metrics.length).toBe(allOn ? 2 : 1);
      }
      for (const pdb of byKind(objects, 'PodDisruptionBudget')) {
        const d = named(objects, 'Deployment', pdb.metadata.name);
        expect(selects(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
        // and no other app's pods
        for (const other of deployments.filter((x) => x !== d)) expect(selects(pdb.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
      }
    });

    if (allOn) {
      it('scrapes every Service with the job names and labels the alerts and dashboards use', () => {
        const sm = byKind(objects, 'ServiceMonitor')[0];
        expect(sm.metadata.labels?.release).toBe('kube-prometheus-stack');
        const services = byKind(objects, 'Service').filter((s) => selects(sm.spec.selector.matchLabels, s.metadata.labels ?? {}));
        expect(services.map(componentOf).sort()).toEqual(APPS);
        for (const s of services) expect((s.spec.ports as { name: string }[]).map((p) => p.name)).toContain(sm.spec.endpoints[0].port);
        const endpoint = sm.spec.endpoints[0];
        expect(endpoint.path).toBe('/metrics');
        expect(endpoint.honorLabels).toBe(true); // the services' own `service` label wins
        expect(endpoint.relabelings).toEqual([{ sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_component'], targetLabel: 'job', replacement: 'recmesh-${1}' }]);
        // those are the job names of the Prometheus config the rules and dashboards are written for
        const prom = load(fs.readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string }[] };
        const jobs = new Set(prom.scrape_configs.map((j) => j.job_name));
        for (const app of APPS.filter((a) => a !== 'trainer')) expect(jobs).toContain(`recmesh-${app}`);
      });

      it('triggers retraining from a CronJob at the trainer Service', () => {
        const cron = byKind(objects, 'CronJob')[0];
        expect(cron.spec.schedule).toBe('0 3 * * *');
        expect(cron.spec.concurrencyPolicy).toBe('Forbid');
        const c = cron.spec.jobTemplate.spec.template.spec.containers[0] as Container;
        const svc = named(objects, 'Service', `${fullname}-trainer`);
        expect(c.env?.find((e) => e.name === 'RETRAIN_URL')?.value).toBe(`http://${svc.metadata.name}:${svc.spec.ports[0].port}/v1/admin/retrain`);
      });

      it('passes the user-supplied settings through to the right ConfigMap', () => {
        const cm = (app: string) => named(objects, 'ConfigMap', `${fullname}-${app}`).data ?? {};
        expect(cm('scorer')).toMatchObject({ SCORER_MODEL_POLL_SECONDS: '15', SCORER_PREFER_CUDA: 'false', SCORER_MAX_BATCH: '128', POPULARITY_HALF_LIFE_HOURS: '48' });
        expect(cm('bundler')).toMatchObject({ SCORER_MODEL_POLL_SECONDS: '15', BUNDLER_BEAM_WIDTH: '128' });
        expect(cm('feature-builder')).toMatchObject({ FEATURE_TEXT_ENCODER_DIR: 'off', POPULARITY_HALF_LIFE_HOURS: '48' });
        expect(cm('ingest')).toMatchObject({ KAFKA_BROKERS: 'kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092', RECMESH_TOPIC_PREFIX: 'shop1.', RECMESH_PROFILE: 'kafka-mysql', LOG_LEVEL: 'debug' });
        expect(cm('ingest')).not.toHaveProperty('POPULARITY_HALF_LIFE_HOURS');
      });

      it('connects over TLS with the Secrets mounted: Kafka (SASL password from a Secret) in every app, MySQL in the apps with a store', () => {
        for (const d of deployments) {
          const store = componentOf(d) !== 'gateway';
          const env = containerEnv(objects, d);
          const value = (name: string) => env.get(name)?.value;
          expect([value('KAFKA_SSL'), value('KAFKA_SSL_CA_FILE'), value('KAFKA_SSL_CERT_FILE'), value('KAFKA_SSL_KEY_FILE')]).toEqual([
            'true',
            '/etc/recmesh/kafka-tls/ca.crt',
            '/etc/recmesh/kafka-tls/tls.crt',
            '/etc/recmesh/kafka-tls/tls.key',
          ]);
          expect([value('KAFKA_SASL_MECHANISM'), value('KAFKA_SASL_USERNAME')]).toEqual(['scram-sha-512', 'recmesh-shop1']);
          expect(env.get('KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'recmesh-kafka', key: 'sasl-password' });
          expect([value('MYSQL_SSL'), value('MYSQL_SSL_CA_FILE')]).toEqual(store ? ['true', '/etc/recmesh/mysql-tls/ca.crt'] : [undefined, undefined]);
          const mounts = containerOf(d).volumeMounts ?? [];
          expect(mounts).toContainEqual({ name: 'kafka-tls', mountPath: '/etc/recmesh/kafka-tls', readOnly: true });
          expect(mounts.some((m) => m.name === 'mysql-tls')).toBe(store);
          const volumes = d.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[];
          expect(volumes.find((v) => v.name === 'kafka-tls')?.secret?.secretName).toBe('shop-kafka-tls');
          expect(volumes.find((v) => v.name === 'mysql-tls')?.secret?.secretName).toBe(store ? 'shop-mariadb-tls' : undefined);
        }
        for (const cm of byKind(objects, 'ConfigMap')) expect(Object.keys(cm.data ?? {})).not.toContain('KAFKA_SASL_PASSWORD');
      });
    }
  });
});
