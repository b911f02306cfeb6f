// The node agent's own HTTPS server (the kubelet's port 10250): container logs, exec,
// attach and port-forward for the apiserver, plus /healthz and /pods. Only clients with a
// certificate from the cluster CA that belongs to the apiserver get in.
import { access } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Registry } from 'prom-client';
import { KUBELET_CLIENT_CN } from '../../util/x509-names.js';
import type { Logger } from '../../util/log.js';
import { RuntimeError, type ContainerRuntime } from '../runtime/types.js';
import { parseLogQuery, LogQueryError } from '../../api/core/log-query.js';
import { queryBool } from '../../util/query-bool.js';
import { readContainerLog } from './log-reader.js';
import { runtimePodLookup, type PodLookup } from './pod-lookup.js';
import { relayUpgrade, refuseUpgrade } from '../../client/streams/upgrade-proxy.js';
import {
  chooseExecProtocol,
  offeredProtocols,
  portForwardProtocol,
  serveWebSocketExec,
  serveWebSocketPortForward,
  streamingWebSocketServer,
} from './websocket-streams.js';
import { parsePorts } from './websocket-portforward.js';
import type { StatsProvider } from '../stats/summary.js';
import { resourceMetricsText } from '../stats/resource-metrics.js';

export const DEFAULT_AGENT_PORT = 10250;
/** The identity the apiserver presents to agents (its kubelet-client certificate). */
export const APISERVER_KUBELET_CLIENT_CN = KUBELET_CLIENT_CN;

export interface AgentServerOptions {
  runtime: ContainerRuntime;
  /** Pod → sandbox/container; default: asked of the runtime. */
  lookup?: PodLookup;
  /** The agent's serving certificate and key (PEM). */
  tls: { cert: string; key: string };
  /** The cluster CA (PEM): client certificates must chain to it. */
  clientCA: string;
  /** Who may call, by certificate subject; default the apiserver's CN or system:masters. */
  authorize?(user: { name: string; groups: string[] }): boolean;
  /** The pods bound to this node, for GET /pods. */
  pods?(): Pod[];
  /** The node agent's Prometheus registry, for GET /metrics (undefined until the agent exists). */
  metrics?(): Registry | undefined;
  /** Usage figures for GET /stats/summary and /metrics/resource; those paths answer 404 without it. */
  stats?: StatsProvider;
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  log?: Logger;
}

export interface AgentServer {
  readonly port: number;
  /** Serves new connections with this certificate (a rotated serving certificate). */
  setTls(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function clientIdentity(sock: TLSSocket): { name: string; groups: string[] } | undefined {
  if (!sock.authorized) return undefined;
  const subject = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  if (!subject?.CN) return undefined;
  const o = subject.O;
  return { name: String(subject.CN), groups: Array.isArray(o) ? o : o ? [o] : [] };
}

const defaultAuthorize = (u: { name: string; groups: string[] }) => u.name === APISERVER_KUBELET_CLIENT_CN || u.groups.includes('system:masters');

type Route =
  | { kind: 'logs'; namespace: string; pod: string; container: string }
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string }
  | { kind: 'healthz' | 'pods' | 'metrics' | 'statsSummary' | 'resourceMetrics' };

/** The kubelet's paths; the form with the pod's UID before the container is accepted too. */
export function parseAgentPath(pathname: string): Route | undefined {
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  const [head, ns, pod, ...rest] = parts;
  if (parts.length === 1 && (head === 'healthz' || head === 'pods' || head === 'metrics')) return { kind: head };
  if (parts.length === 2 && head === 'stats' && ns === 'summary') return { kind: 'statsSummary' };
  if (parts.length === 2 && head === 'metrics' && ns === 'resource') return { kind: 'resourceMetrics' };
  if (!ns || !pod) return undefined;
  if (head === 'portForward' && rest.length <= 1) return { kind: 'portForward', namespace: ns, pod };
  const container = rest[rest.length - 1];
  if (!container || rest.length > 2) return undefined;
  if (head === 'containerLogs' && rest.length === 1) return { kind: 'logs', namespace: ns, pod, container };
  if (head === 'exec' || head === 'attach') return { kind: head, namespace: ns, pod, container };
  return undefined;
}

const flag = (q: URLSearchParams, name: string) => queryBool(q, name) === true;

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const lookup = opts.lookup ?? runtimePodLookup(opts.runtime);
  const authorize = opts.authorize ?? defaultAuthorize;
  const rt = opts.runtime;
  const wss = streamingWebSocketServer();

  const server = https.createServer({
    cert: opts.tls.cert,
    key: opts.tls.key,
    ca: opts.clientCA,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });

  function checkAuth(req: IncomingMessage): void {
    const id = clientIdentity(req.socket as TLSSocket);
    if (!id) throw new HttpError(401, 'Unauthorized');
    if (!authorize(id)) throw new HttpError(403, `Forbidden (user=${id.name}, verb=${(req.method ?? 'get').toLowerCase()}, resource=nodes, subresource=proxy)`);
  }

  async function container(r: { namespace: string; pod: string; container: string }, previous: boolean) {
    const c = await lookup.container(r.namespace, r.pod, r.container, previous);
    if (!c) {
      if (previous) throw new HttpError(400, `previous terminated container "${r.container}" in pod "${r.pod}" not found`);
      throw new HttpError(404, `container "${r.container}" in pod "${r.pod}" is not available`);
    }
    return c;
  }

  async function serveLogs(r: Extract<Route, { kind: 'logs' }>, q: URLSearchParams, _req: IncomingMessage, res: ServerResponse): Promise<void> {
    const query = parseLogQuery(q, Date.now());
    const c = await container(r, query.previous);
    if (c.logPath) {
      try {
        await access(c.logPath);
      } catch (err) {
        throw new HttpError(
          400,
          `failed to open log file "${c.logPath}" of container "${r.container}" in pod "${r.pod}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    // A runtime that keeps no log file (the simulated one) has nothing to show.
    if (!c.logPath) return void res.end();
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      await readContainerLog(
        c.logPath,
        query,
        (chunk) =>
          new Promise<void>((resolve) => {
            if (res.destroyed || ac.signal.aborted) return resolve();
            if (res.write(chunk)) resolve();
            else res.once('drain', resolve).once('close', resolve);
          }),
        { isRunning: () => lookup.isRunning(c.containerId), signal: ac.signal },
      );
    } catch (err) {
      // Headers are out: the error can only end the stream, as the kubelet does.
      opts.log?.warn('container log read failed', { pod: `${r.namespace}/${r.pod}`, container: r.container, error: (err as Error).message });
    }
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkAuth(req);
    const url = new URL(req.url ?? '/', 'https://agent');
    const route = parseAgentPath(url.pathname);
    if (!route) throw new HttpError(404, `404 page not found: ${url.pathname}`);
    switch (route.kind) {
      case 'healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end('ok');
      case 'pods': {
        const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: opts.pods?.() ?? [] });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(body);
      }
      case 'metrics': {
        const registry = opts.metrics?.();
        if (!registry) throw new HttpError(503, 'node agent metrics are not available yet');
        const body = await registry.metrics();
        res.writeHead(200, { 'Content-Type': registry.contentType });
        return void res.end(body);
      }
      case 'statsSummary':
      case 'resourceMetrics': {
        if (!opts.stats) throw new HttpError(404, `404 page not found: ${url.pathname}`);
        if (req.method !== 'GET') throw new HttpError(405, 'method not allowed');
        const summary = await opts.stats.summary();
        if (route.kind === 'statsSummary') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return void res.end(JSON.stringify(summary));
        }
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(resourceMetricsText(summary));
      }
      case 'logs':
        if (req.method !== 'GET') throw new HttpError(405, 'method not allowed');
        return serveLogs(route, url.searchParams, req, res);
      default:
        throw new HttpError(400, 'Upgrade request required');
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : err instanceof LogQueryError ? 400 : runtimeStatus(err);
      if (status >= 500) opts.log?.warn('agent request failed', { url: req.url, error: (err as Error).message });
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end((err as Error).message);
    });
  });

  async function streamingUrl(
    route: Route,
    q: URLSearchParams,
  ): Promise<{ url: URL; streams: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean } }> {
    const streams = {
      stdin: flag(q, 'input') || flag(q, 'stdin'),
      stdout: flag(q, 'output') || flag(q, 'stdout'),
      stderr: flag(q, 'error') || flag(q, 'stderr'),
      tty: flag(q, 'tty'),
    };
    if (route.kind === 'portForward') {
      const sandbox = await lookup.sandbox(route.namespace, route.pod);
      if (!sandbox) throw new HttpError(404, `pod "${route.pod}" in namespace "${route.namespace}" has no sandbox on this node`);
      const ports = q
        .getAll('port')
        .map(Number)
        .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
      return { url: new URL((await rt.portForward({ podSandboxId: sandbox, ports })).url), streams };
    }
    if (route.kind !== 'exec' && route.kind !== 'attach') throw new HttpError(400, 'not a streaming endpoint');
    if (!streams.stdin && !streams.stdout && !streams.stderr) throw new HttpError(400, 'you must specify at least one of stdin, stdout, stderr');
    const c = await container(route, false);
    if (!c.running) throw new HttpError(400, `container ${route.container} is not running`);
    const req = { containerId: c.containerId, tty: streams.tty, stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr && !streams.tty };
    if (route.kind === 'attach') return { url: new URL((await rt.attach(req)).url), streams };
    const cmd = q.getAll('command');
    if (!cmd.length) throw new HttpError(400, 'you must specify at least one command for the container');
    return { url: new URL((await rt.exec({ ...req, cmd })).url), streams };
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    checkAuth(req);
    const url = new URL(req.url ?? '/', 'https://agent');
    const route = parseAgentPath(url.pathname);
    if (!route || (route.kind !== 'exec' && route.kind !== 'attach' && route.kind !== 'portForward'))
      throw new HttpError(404, `404 page not found: ${url.pathname}`);
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const offered = offeredProtocols(req);
    if (isWebSocket) {
      const wanted = route.kind === 'portForward' ? portForwardProtocol(offered) : chooseExecProtocol(offered);
      if (!wanted) throw new HttpError(400, `unsupported WebSocket subprotocols ${JSON.stringify([...offered])}`);
    }
    const { url: target, streams } = await streamingUrl(route, url.searchParams);
    if (!isWebSocket) {
      // SPDY from the client: the runtime's server speaks it too, so bytes pass through.
      return relayUpgrade(req, socket, head, { url: target, tls: { rejectUnauthorized: false } });
    }
    if (route.kind === 'portForward') {
      let ports: number[] = [];
      if (portForwardProtocol(offered) === 'channels') {
        try {
          ports = parsePorts(url.searchParams.getAll('port'));
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
      }
      return serveWebSocketPortForward(wss, req, socket, head, target, ports);
    }
    return serveWebSocketExec(wss, req, socket, head, target, streams);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handleUpgrade(req, socket, head).catch((err) => {
      const status = err instanceof HttpError ? err.status : runtimeStatus(err);
      if (status >= 500) opts.log?.warn('agent stream failed', { url: req.url, error: (err as Error).message });
      if (socket.writable) refuseUpgrade(socket, status, 'text/plain; charset=utf-8', (err as Error).message);
      else socket.destroy();
    });
  });

  server.requestTimeout = 0;
  // Idle connections are kept as the kubelet keeps them (90 s): the metrics server scrapes every
  // 15 s, and Node's default of 5 s made each scrape a new TLS handshake on both sides.
  server.keepAliveTimeout = 90_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_AGENT_PORT, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    setTls: (tls) => server.setSecureContext({ cert: tls.cert, key: tls.key, ca: opts.clientCA }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function runtimeStatus(err: unknown): number {
  if (err instanceof RuntimeError) {
    if (err.code === 'NotFound') return 404;
    if (err.code === 'InvalidArgument' || err.code === 'FailedPrecondition') return 400;
    if (err.code === 'Unimplemented') return 501;
    if (err.code === 'Unavailable') return 503;
  }
  return 500;
}
