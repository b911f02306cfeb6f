// The HTTPS front of the apiserver: TLS with client certificates, authentication, the
// non-resource paths (health, version, discovery, OpenAPI), and the encoding of
// resource requests and watch streams. Everything resource-shaped goes to ApiHandler.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import YAML from 'yaml';
import type { ResourceRegistry } from '../api/registry.js';
import type { KObject } from '../api/types.js';
import { aggregated, group as groupDoc, groupList, legacyVersions, resourceList, wantsAggregated } from './discovery.js';
import type { ApiHandler } from './handler.js';
import { listJson, listJsonChunks, toJson } from './json-cache.js';
import { chooseOutput, decodeBody, JsonBodyError, type OutputKind } from './negotiation.js';
import type { OpenApiService } from './openapi/index.js';
import { serveOpenApi } from './openapi/serve.js';
import { decodeWithDuplicates, warningHeader } from './rest/field-validation.js';
import { streamRoute, type PodStreams } from './rest/pod-streams.js';
import { bootstrapperDenial } from './auth/bootstrapper-policy.js';
import { refuseUpgrade } from '../client/streams/upgrade-proxy.js';
import { parseResourcePath, type ResourceRequestInfo } from './request-info.js';
import { queryFlag } from '../util/query-bool.js';
import { errors, type StatusError, toStatusError } from './status.js';
import type { SecretsEncryption } from './encryption/key-rotation.js';
import type { AuditRecorder, Auditor } from './audit/recorder.js';
import { ENCRYPT_PATH, serveEncryptRoute } from './encryption/routes.js';
import { toPartial, toPartialList, toTable, type IncludeObject } from './table-convert.js';
import type { ApiRequest, ApiResult, UserInfo, WatchEvent, WatchHandle } from './types.js';
import type { FlowControlHook } from './flowcontrol/http-hook.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
// A watcher that stops reading gets this much buffered before it is cut off.
const MAX_WATCH_BUFFER = 32 * 1024 * 1024;

export interface HttpServerOptions {
  tls: { key: string; cert: string; ca: string };
  handler: ApiHandler;
  registry: ResourceRegistry;
  openapi: OpenApiService;
  /** Bearer tokens accepted besides client certificates. */
  tokens?: Map<string, UserInfo>;
  /** Bearer tokens not in `tokens` (bootstrap tokens). */
  authenticateToken?(token: string): UserInfo | undefined;
  ready(): boolean;
  /** Audit of every request (--audit-policy-file, --audit-log-path). */
  auditor?: Auditor;
  /** Encryption at rest, for `skiff secrets-encrypt`. */
  encryption?: SecretsEncryption;
  version: Record<string, string>;
  /** pods/log, exec, attach, portforward and nodes/proxy, served through node agents. */
  podStreams?: PodStreams;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** API Priority and Fairness (or the max-inflight limiter): seats held from `admit` until the handler is done. */
  flowControl?: FlowControlHook;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

const certUsers = new WeakMap<TLSSocket, UserInfo | null>();

function authenticate(req: IncomingMessage, tokens?: Map<string, UserInfo>, other?: (token: string) => UserInfo | undefined): UserInfo | undefined {
  const sock = req.socket as TLSSocket;
  if (sock.authorized) {
    // A connection's client certificate never changes: read it once per socket, not per request.
    let user = certUsers.get(sock);
    if (user === undefined) {
      const subject = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
      const o = subject?.O;
      user = subject?.CN ? { username: String(subject.CN), groups: [...(Array.isArray(o) ? o : o ? [o] : []), 'system:authenticated'] } : null;
      certUsers.set(sock, user);
    }
    if (user) return user;
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const u = tokens?.get(auth.slice(7).trim()) ?? other?.(auth.slice(7).trim());
    if (u) return { ...u, groups: [...u.groups, 'system:authenticated'] };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      reject(errors.tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(errors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string | string[]): void {
  if (typeof body !== 'string') {
    // A list in pieces: chunked transfer, each piece written as soon as it is serialised.
    res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
    for (const chunk of body) res.write(chunk);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  send(res, err.code, 'application/json', err.toJson());
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Encodes a handler result in the representation the client asked for. */
function encodeResult(result: ApiResult, out: OutputKind, q: URLSearchParams): { type: string; body: string | string[] } {
  const { body, def, list } = result;
  const isStatus = body.kind === 'Status' || !def;
  if (out.kind === 'table' && !isStatus && def && (list || body.metadata)) {
    const t = toTable(def, body, !!list, { version: out.version, include: includeObject(q) });
    return { type: `application/json;as=Table;v=${out.version};g=meta.k8s.io`, body: JSON.stringify(t) };
  }
  if (out.kind === 'partial' && !isStatus && def) {
    const p = list ? toPartialList(def, body, out.version) : toPartial(body, out.version);
    return {
      type: `application/json;as=${list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=${out.version};g=meta.k8s.io`,
      body: JSON.stringify(p),
    };
  }
  if (out.kind === 'yaml') return { type: 'application/yaml', body: YAML.stringify(body) };
  // ?pretty=true: indented as Go's json.MarshalIndent(obj, "", "  ") writes it.
  if (queryFlag(q, 'pretty')) return { type: 'application/json', body: `${JSON.stringify(body, null, 2)}\n` };
  if (list) {
    const { items, ...head } = body;
    const list = items as KObject[];
    return { type: 'application/json', body: list.length > 1000 ? listJsonChunks(head, list) : listJson(head, list) };
  }
  return { type: 'application/json', body: toJson(body) };
}

export function createApiHttpServer(opts: HttpServerOptions): https.Server {
  const server = https.createServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const audit = opts.auditor?.begin(req, res);
    admitted(req, res, audit).catch((err) => {
      const se = toStatusError(err);
      audit?.failed({ code: se.code, reason: se.reason, message: se.message, details: se.details });
      if (se.code >= 500) opts.log?.('request failed', { method: req.method, url: req.url, error: (err as Error)?.stack ?? String(err) });
      if (!res.headersSent) sendStatus(res, se);
      else res.destroy();
    });
  });
  // exec, attach and port-forward arrive as upgrades (WebSocket or SPDY) and are relayed.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const fail = (se: StatusError) => refuseUpgrade(socket, se.code, 'application/json', se.toJson());
    const url = new URL(req.url ?? '/', 'https://localhost');
    const user = authenticate(req, opts.tokens, opts.authenticateToken);
    if (!user) return fail(errors.unauthorized());
    const denied = bootstrapperDenial(user, req.method ?? 'GET', url.pathname, url.searchParams);
    if (denied) return fail(denied);
    const route = opts.podStreams && streamRoute(url.pathname);
    if (!route) return fail(errors.pageNotFound(url.pathname));
    opts.podStreams!.upgrade(route, req, socket, head, url.searchParams).catch((err) => {
      const se = toStatusError(err);
      if (se.code >= 500) opts.log?.('stream failed', { url: req.url, error: (err as Error)?.stack ?? String(err) });
      if (socket.writable) fail(se);
      else socket.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0; // watches are long-lived

  /** handle(), then the request's flow-control seats go back (a watch's once it is established). */
  function admitted(req: IncomingMessage, res: ServerResponse, audit?: AuditRecorder): Promise<void> {
    return handle(req, res, audit).finally(() => opts.flowControl?.done(req));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, audit?: AuditRecorder): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const user = authenticate(req, opts.tokens, opts.authenticateToken);
    audit?.authenticated(user);
    await opts.flowControl?.admit(req, res, user, method, path, url.searchParams);
    // The cluster CA, for agents joining: they check it against the hash in their token (as k3s).
    if (path === '/cacerts' && method === 'GET') return send(res, 200, 'text/plain; charset=utf-8', opts.tls.ca);

    if (PUBLIC_PATHS.has(path) || /^\/(healthz|livez|readyz)\//.test(path)) {
      if (path === '/version') return send(res, 200, 'application/json', JSON.stringify(opts.version, null, 2));
      const ok = path.startsWith('/readyz') ? opts.ready() : true;
      if (url.searchParams.has('verbose')) {
        const name = path.slice(1).split('/')[0];
        const lines = ['[+]ping ok', '[+]log ok', `[${ok ? '+' : '-'}]etcd ${ok ? 'ok' : 'failed'}`, `${name} check ${ok ? 'passed' : 'failed'}`];
        return send(res, ok ? 200 : 500, 'text/plain; charset=utf-8', `${lines.join('\n')}\n`);
      }
      return send(res, ok ? 200 : 500, 'text/plain; charset=utf-8', ok ? 'ok' : 'readyz check failed');
    }
    if (!user) throw errors.unauthorized();
    const denied = bootstrapperDenial(user, method, path, url.searchParams);
    if (denied) throw denied;

    const accept = req.headers.accept;
    if (method === 'GET' && (path === '/api' || path === '/apis')) {
      const agg = wantsAggregated(accept);
      if (agg) {
        const body = JSON.stringify(aggregated(opts.registry, path === '/api', agg));
        return send(res, 200, `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`, body);
      }
      const host = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const body = path === '/api' ? legacyVersions(`${host}:${req.socket.localPort}`) : groupList(opts.registry);
      return send(res, 200, 'application/json', JSON.stringify(body));
    }
    if (method === 'GET' && path.startsWith('/openapi/')) return serveOpenApi(opts.openapi, path, url, req, res);
    if (path.startsWith(`${ENCRYPT_PATH}/`))
      return send(res, 200, 'application/json', JSON.stringify(await serveEncryptRoute(opts.encryption, method, path, user)));
    const gv = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
    if (method === 'GET' && gv) {
      const doc = gv[1] ? resourceList(opts.registry, '', 'v1') : gv[3] ? resourceList(opts.registry, gv[2]!, gv[3]) : groupDoc(opts.registry, gv[2]!);
      if (!doc) throw errors.pageNotFound(path);
      return send(res, 200, 'application/json', JSON.stringify(doc));
    }

    const streaming = opts.podStreams && streamRoute(url.pathname);
    if (streaming) return opts.podStreams!.serve(streaming, req, res, url.searchParams);

    const info = parseResourcePath(method, path, url.searchParams);
    if (!info) throw errors.pageNotFound(path);
    audit?.identify({ ...info, apiGroup: info.group, apiVersion: info.version, resourceRequest: true, path });
    const out = chooseOutput(accept);
    let body: unknown;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
      const raw = await readBody(req);
      // Field validation also reports keys given twice, which only the raw body shows.
      const ct = req.headers['content-type'];
      try {
        body =
          method === 'DELETE'
            ? decodeBody(ct, raw)
            : (decodeWithDuplicates(ct, raw, () => decodeBody(ct, raw), url.searchParams.get('fieldValidation') !== 'Ignore') ?? decodeBody(ct, raw));
      } catch (err) {
        throw err instanceof JsonBodyError ? undecodableObject(err, method, info) : err;
      }
      if (method !== 'DELETE' && body === undefined) throw errors.badRequest('the body of the request was empty');
      audit?.requestBody(body);
    }
    const apiReq: ApiRequest = {
      verb: info.verb,
      group: info.group,
      version: info.version,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      query: url.searchParams,
      body,
      patchType: method === 'PATCH' ? (req.headers['content-type'] ?? '').split(';')[0]!.trim() : undefined,
      user,
      userAgent: req.headers['user-agent'],
    };
    if (info.verb === 'watch') return serveWatch(apiReq, out, req, res, audit);
    const result = await opts.handler.handle(apiReq);
    audit?.responseBody(result.body);
    if (result.warnings?.length) res.setHeader('Warning', result.warnings.map(warningHeader));
    const enc = encodeResult(result, out, url.searchParams);
    send(res, result.status, enc.type, enc.body);
  }

  /** A create or update whose body does not decode names the kind it had to be, as kube-apiserver does. */
  function undecodableObject(err: JsonBodyError, method: string, info: ResourceRequestInfo): StatusError {
    if ((method !== 'POST' && method !== 'PUT') || info.subresource) return err;
    try {
      const def = opts.handler.resolve({
        verb: info.verb,
        group: info.group,
        version: info.version,
        resource: info.resource,
        query: new URLSearchParams(),
      } as ApiRequest);
      return def ? err.forKind(def.kind) : err;
    } catch {
      return err;
    }
  }

  async function serveWatch(apiReq: ApiRequest, out: OutputKind, req: IncomingMessage, res: ServerResponse, audit?: AuditRecorder): Promise<void> {
    let headersSent = false;
    let first = true;
    let done = false;
    const table = out.kind === 'table' ? out : undefined;
    const contentType = table ? `application/json;as=Table;v=${table.version};g=meta.k8s.io` : 'application/json';
    const def = opts.handler.resolve(apiReq);
    const start = () => {
      if (headersSent) return;
      headersSent = true;
      audit?.started();
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
    };
    const finish = () => {
      if (done) return;
      done = true;
      start();
      res.end();
    };
    const sink = {
      send(ev: WatchEvent, line?: string) {
        if (done) return;
        start();
        let text = line;
        if (table && ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') {
          const t = toTable(def, ev.object, false, { version: table.version, include: includeObject(apiReq.query), noHeaders: !first });
          first = false;
          text = `{"type":"${ev.type}","object":${JSON.stringify(t)}}\n`;
        }
        res.write(text ?? `${JSON.stringify(ev)}\n`);
        if (res.writableLength > MAX_WATCH_BUFFER) {
          handle?.stop();
          res.destroy();
          done = true;
        }
      },
      end: finish,
    };
    let handle: WatchHandle | undefined;
    handle = await opts.handler.watch(apiReq, sink);
    start();
    const stop = () => {
      handle?.stop();
      done = true;
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  return server;
}
