// The subresources that the apiserver serves by calling the pod's node agent: pods/log,
// pods/exec, pods/attach, pods/portforward and nodes/proxy. The apiserver checks the
// request against the pod (container names, scheduling, container state), then proxies to
// the agent's HTTPS server with its kubelet-client certificate; upgrades (exec, attach,
// port-forward) are relayed byte for byte, and the agent speaks to the runtime.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Container, ContainerStatus, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ResourceRegistry } from '../../api/registry.js';
import { parseLogQuery, LogQueryError } from '../../api/core/log-query.js';
import { queryFlag } from '../../util/query-bool.js';
import { refuseUpgrade, relayUpgrade } from '../../client/streams/upgrade-proxy.js';
import { errors, StatusError, toStatusError } from '../status.js';
import type { ResourceStorage } from './resource-store.js';
import { decodeSegment } from '../request-path.js';

export interface KubeletClientConfig {
  /** The apiserver's client certificate and key for node agents (PEM). */
  cert: string;
  key: string;
  timeoutMs?: number;
}

export type StreamRoute =
  | { kind: 'pod'; sub: 'log' | 'exec' | 'attach' | 'portforward'; namespace: string; name: string }
  | { kind: 'node'; name: string; path: string };

const POD_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward']);

/** Recognises the paths this module serves; anything else is left to the generic handler. */
export function streamRoute(pathname: string): StreamRoute | undefined {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
  if (parts[2] === 'namespaces' && parts[4] === 'pods' && parts.length === 7 && POD_SUBRESOURCES.has(parts[6]!)) {
    return { kind: 'pod', sub: parts[6] as 'log', namespace: decodeSegment(parts[3]!), name: decodeSegment(parts[5]!) };
  }
  if (parts[2] === 'nodes' && parts.length >= 5 && parts[4] === 'proxy') {
    // Everything after /proxy goes to the agent as it was written (escapes included).
    const prefix = `/api/v1/nodes/${parts[3]}/proxy`;
    const at = pathname.indexOf(prefix);
    return { kind: 'node', name: decodeSegment(parts[3]!), path: pathname.slice(at + prefix.length) || '/' };
  }
  return undefined;
}

function allContainers(pod: Pod): { main: Container[]; init: Container[]; ephemeral: { name: string }[] } {
  return { main: pod.spec?.containers ?? [], init: pod.spec?.initContainers ?? [], ephemeral: pod.spec?.ephemeralContainers ?? [] };
}

/** The container a request means: the one named, or the only one; errors as kube-apiserver words them. */
export function resolveContainer(pod: Pod, requested: string | null): string {
  const name = pod.metadata!.name!;
  const { main, init, ephemeral } = allContainers(pod);
  if (!requested) {
    if (main.length === 1) return main[0]!.name;
    const names = `[${main.map((c) => c.name).join(' ')}]`;
    const initNames = init.length ? ` or one of the init containers: [${init.map((c) => c.name).join(' ')}]` : '';
    throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: ${names}${initNames}`);
  }
  if ([...main, ...init, ...ephemeral].some((c) => c.name === requested)) return requested;
  throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
}

/** The kubelet's checks before it reads a log: is there a container attempt with logs at all? */
export function checkLogState(pod: Pod, container: string, previous: boolean): void {
  const podName = pod.metadata!.name!;
  const st = statusOf(pod, container);
  if (!st) throw errors.badRequest(`container "${container}" in pod "${podName}" is not available`);
  const last = st.lastState?.terminated;
  if (previous) {
    if (!last?.containerID) throw errors.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return;
  }
  if (st.state?.running || st.state?.terminated?.containerID || last?.containerID) return;
  if (st.state?.terminated) throw errors.badRequest(`container "${container}" in pod "${podName}" is terminated`);
  const reason = st.state?.waiting?.reason ?? 'ContainerCreating';
  const why = reason === 'ErrImagePull' ? "image can't be pulled" : reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
  throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
}

/** An agent's non-2xx answer, as kube-apiserver reports it to the client. */
export function agentError(status: number, body: string): StatusError {
  const text = body.trim();
  if (status === 400) return errors.badRequest(text);
  if (status === 500) return new StatusError(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] });
  if (status === 404)
    return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {
      causes: [{ reason: 'UnexpectedServerResponse', message: text }],
    });
  if (status === 401 || status === 403) return new StatusError(status, status === 401 ? 'Unauthorized' : 'Forbidden', text);
  return new StatusError(status, 'InternalError', text || `the node agent answered with status ${status}`);
}

export class PodStreams {
  constructor(
    private readonly rs: ResourceStorage,
    private readonly registry: ResourceRegistry,
    private readonly client: KubeletClientConfig | undefined,
  ) {}

  private async getPod(namespace: string, name: string): Promise<Pod> {
    const def = this.registry.lookup('', 'v1', 'pods');
    if (!def) throw errors.pageNotFound('/api/v1/pods');
    return (await this.rs.get(def, namespace, name)) as Pod;
  }

  /** https://<InternalIP>:<kubelet port> of a node, refusing nodes that run no agent server. */
  private async agentBase(nodeName: string): Promise<URL> {
    const def = this.registry.lookup('', 'v1', 'nodes');
    if (!def) throw errors.pageNotFound('/api/v1/nodes');
    const node = (await this.rs.get(def, undefined, nodeName)) as Node;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    // Simulated nodes report port 0: they have no server, and their addresses are made up.
    if (!port || !ip)
      throw errors.serviceUnavailable(`node "${nodeName}" has no node agent server to connect to (simulated node, or its agent reports no port)`);
    if (!this.client) throw errors.serviceUnavailable('the apiserver has no client certificate for node agents');
    return new URL(`https://${isIPv6(ip) ? `[${ip}]` : ip}:${port}`);
  }

  private tls(): https.RequestOptions {
    // Like kube-apiserver without --kubelet-certificate-authority: the agent's serving
    // certificate is not verified (a joining agent may sign its own).
    return { cert: this.client!.cert, key: this.client!.key, rejectUnauthorized: false };
  }

  /**
   * Where on the agent a pod request goes, after the apiserver's own checks; undefined for
   * the log of a pod not yet scheduled, which kube-apiserver answers with an empty stream.
   */
  private async podTarget(route: Extract<StreamRoute, { kind: 'pod' }>, q: URLSearchParams): Promise<URL | undefined> {
    const pod = await this.getPod(route.namespace, route.name);
    const ns = encodeURIComponent(route.namespace);
    const name = encodeURIComponent(route.name);
    const out = new URLSearchParams();
    let path: string;
    if (route.sub === 'portforward') {
      for (const p of q.getAll('ports').flatMap((v) => v.split(','))) if (p.trim()) out.append('port', p.trim());
      path = `/portForward/${ns}/${name}`;
    } else {
      const container = resolveContainer(pod, q.get('container'));
      if (route.sub === 'log') {
        const lq = parseLogQuery(q, Date.now());
        if (!pod.spec?.nodeName) return undefined;
        checkLogState(pod, container, lq.previous);
        for (const k of ['follow', 'previous', 'timestamps', 'tailLines', 'limitBytes', 'sinceSeconds', 'sinceTime']) {
          const v = q.get(k);
          if (v !== null && v !== '') out.set(k, v);
        }
        path = `/containerLogs/${ns}/${name}/${encodeURIComponent(container)}`;
      } else {
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed')
          throw errors.badRequest(`cannot ${route.sub} into a container in a completed pod; current phase is ${phase}`);
        // The kubelet's names for the stream flags.
        for (const [from, to] of [
          ['stdin', 'input'],
          ['stdout', 'output'],
          ['stderr', 'error'],
          ['tty', 'tty'],
        ] as const) {
          if (queryFlag(q, from)) out.set(to, '1');
        }
        if (route.sub === 'exec') {
          const cmd = q.getAll('command');
          if (!cmd.length) throw errors.badRequest('you must specify at least 1 command');
          for (const c of cmd) out.append('command', c);
        }
        path = `/${route.sub}/${ns}/${name}/${encodeURIComponent(container)}`;
      }
    }
    if (!pod.spec?.nodeName) throw errors.badRequest(`pod ${route.name} does not have a host assigned`);
    const base = await this.agentBase(pod.spec.nodeName);
    const qs = out.toString();
    return new URL(`${path}${qs ? `?${qs}` : ''}`, base);
  }

  /** Plain requests: pods/log (streamed text) and nodes/proxy. */
  async serve(route: StreamRoute, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    let target: URL | undefined;
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      if (route.kind === 'node') {
        const base = await this.agentBase(route.name);
        target = new URL(route.path + (q.toString() ? `?${q}` : ''), base);
      } else {
        if (route.sub !== 'log') throw errors.badRequest('Upgrade request required');
        if (method !== 'GET') throw errors.methodNotSupported('', 'pods/log', method.toLowerCase());
        target = await this.podTarget(route, q);
      }
    } catch (err) {
      throw err instanceof LogQueryError ? errors.badRequest(err.message) : err;
    }
    if (!target) {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Content-Length': '0' });
      return void res.end();
    }
    await this.proxy(method, target, req, res, route.kind === 'pod');
  }

  private proxy(method: string, target: URL, req: IncomingMessage, res: ServerResponse, isLog: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const up = https.request(target, {
        method,
        ...this.tls(),
        headers: { accept: req.headers.accept ?? '*/*', ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}) },
      });
      up.setTimeout(this.client?.timeoutMs ?? 30_000, () => up.destroy(new Error(`node agent at ${target.host} did not answer in time`)));
      up.on('response', (ur) => {
        up.setTimeout(0);
        const status = ur.statusCode ?? 502;
        if (isLog && (status < 200 || status > 299)) {
          const chunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => chunks.push(c));
          ur.on('end', () =>
            reject(
              agentError(
                status,
                Buffer.concat(chunks)
                  .toString()
                  .slice(0, 64 * 1024),
              ),
            ),
          );
          ur.on('error', reject);
          return;
        }
        const headers: Record<string, string> = { 'Cache-Control': 'no-cache, private' };
        if (ur.headers['content-type']) headers['Content-Type'] = ur.headers['content-type'];
        res.writeHead(status, headers);
        res.flushHeaders();
        ur.pipe(res);
        ur.on('end', () => resolve());
        ur.on('error', () => {
          res.destroy();
          resolve();
        });
      });
      // A reader that goes away (kubectl logs -f interrupted) ends the agent's stream too.
      res.on('close', () => up.destroy());
      up.on('error', (err) => {
        if (res.headersSent) {
          res.destroy();
          resolve();
        } else reject(errors.internal(new Error(`error dialing node agent: ${err.message}`)));
      });
      if (method === 'GET' || method === 'HEAD') up.end();
      else req.pipe(up);
    });
  }

  /** Upgrade requests (exec, attach, portforward; nodes/proxy upgrades too), relayed to the agent. */
  async upgrade(route: StreamRoute, req: IncomingMessage, socket: Duplex, head: Buffer, q: URLSearchParams): Promise<void> {
    let target: URL | undefined;
    try {
      if (route.kind === 'node') target = new URL(route.path + (q.toString() ? `?${q}` : ''), await this.agentBase(route.name));
      else if (route.sub === 'log') throw errors.badRequest('pods/log does not upgrade');
      else target = await this.podTarget(route, q);
      if (!target) throw errors.badRequest(`pod ${route.name} does not have a host assigned`);
    } catch (err) {
      const se = toStatusError(err);
      refuseUpgrade(socket, se.code, 'application/json', se.toJson());
      return;
    }
    await relayUpgrade(req, socket, head, { url: target, tls: this.tls(), timeoutMs: this.client?.timeoutMs }, (status, body) => {
      // kubectl reads a refused upgrade's body as a Status when it is one.
      const se = agentError(status, body.toString());
      return { status: se.code, contentType: 'application/json', body: se.toJson() };
    });
  }
}
