// Active health checks, asked for per Ingress by annotation: every interval each endpoint of
// its backends gets `GET <path>`; one that answers with no 2xx/3xx status within the timeout
// (or not at all) is taken out of rotation until a check passes again, as Traefik's health
// checks do. Passive ejection (connect failures) works beside it.
import http from 'node:http';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type { Logger } from '../util/log.js';
import type { EndpointPicker } from './endpoints.js';
import type { ServiceBackend } from './route-table.js';

export const ANNOTATION_HEALTH_PATH = 'skiff.io/health-check-path';
export const ANNOTATION_HEALTH_INTERVAL = 'skiff.io/health-check-interval';
const DEFAULT_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 500;
const MAX_TIMEOUT_MS = 5_000;

export interface HealthCheck {
  backend: ServiceBackend;
  path: string;
  intervalMs: number;
}

/** "5", "5s", "500ms", "1m"; undefined when not a duration. */
export function parseInterval(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return DEFAULT_INTERVAL_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1_000);
  return Math.max(MIN_INTERVAL_MS, n);
}

/** The checks the Ingresses ask for, and messages for annotations that cannot be used. */
export function checksOf(ingresses: readonly Ingress[]): { checks: HealthCheck[]; problems: { ing: Ingress; message: string }[] } {
  const checks: HealthCheck[] = [];
  const problems: { ing: Ingress; message: string }[] = [];
  for (const ing of ingresses) {
    const a = ing.metadata?.annotations ?? {};
    const path = a[ANNOTATION_HEALTH_PATH];
    if (!path) continue;
    const intervalMs = parseInterval(a[ANNOTATION_HEALTH_INTERVAL]);
    if (!path.startsWith('/') || intervalMs === undefined) {
      problems.push({
        ing,
        message: `health check annotations unusable: path must start with "/", interval must be like "5s" (got ${JSON.stringify(path)}, ${JSON.stringify(a[ANNOTATION_HEALTH_INTERVAL])})`,
      });
      continue;
    }
    const namespace = ing.metadata?.namespace ?? 'default';
    const services = [ing.spec?.defaultBackend?.service, ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend?.service))];
    for (const s of services) {
      const port = s?.port?.number ?? s?.port?.name;
      if (s?.name && port !== undefined) checks.push({ backend: { namespace, service: s.name, port }, path, intervalMs });
    }
  }
  return { checks, problems };
}

export class ActiveHealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per check, the endpoints it took out of rotation: a check that goes gives them back. */
  private readonly down = new Map<string, Set<string>>();
  private readonly agent = new http.Agent({ keepAlive: false });

  constructor(
    private readonly picker: EndpointPicker,
    private readonly log: Logger,
  ) {}

  /** Runs exactly the given checks: new ones start, gone ones stop (their verdicts are dropped). */
  update(checks: readonly HealthCheck[]): void {
    const want = new Map(checks.map((c) => [`${c.backend.namespace}/${c.backend.service}:${c.backend.port}|${c.path}|${c.intervalMs}`, c]));
    for (const [key, t] of this.timers)
      if (!want.has(key)) {
        clearInterval(t);
        this.timers.delete(key);
        for (const up of this.down.get(key) ?? []) this.picker.setActive(up, true);
        this.down.delete(key);
      }
    for (const [key, c] of want) {
      if (this.timers.has(key)) continue;
      const run = () => this.round(key, c);
      this.timers.set(key, setInterval(run, c.intervalMs));
      run();
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.agent.destroy();
  }

  private round(checkKey: string, c: HealthCheck): void {
    const r = this.picker.resolve(c.backend);
    if (!r.ok) return;
    const timeout = Math.min(MAX_TIMEOUT_MS, c.intervalMs);
    for (const up of r.upstreams) {
      let settled = false;
      const verdict = (ok: boolean, why: string) => {
        if (settled) return;
        settled = true;
        if (!this.timers.has(checkKey)) return;
        const down = this.down.get(checkKey) ?? new Set<string>();
        if (ok) down.delete(up.key);
        else down.add(up.key);
        this.down.set(checkKey, down);
        if (this.picker.setActive(up.key, ok))
          this.log.info(ok ? 'endpoint passes its health check again' : 'endpoint fails its health check; out of rotation', {
            endpoint: up.key,
            path: c.path,
            why,
          });
      };
      const req = http.get(
        { host: up.host, port: up.port, path: c.path, agent: this.agent, headers: { 'user-agent': 'skiff-ingress-health-check' } },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          verdict(status >= 200 && status < 400, `status ${status}`);
        },
      );
      req.setTimeout(timeout, () => req.destroy(new Error(`no answer within ${timeout} ms`)));
      req.on('error', (err) => verdict(false, err.message));
    }
  }
}
