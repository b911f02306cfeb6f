// The HTTPS front of the apiserver: TLS with client certificates, authentication, the
// non-resource paths (health, version, discovery, OpenAPI), and the encoding of
// resource requests and watch streams. Everything resource-shaped goes to ApiHandler.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceRegistry } from '../api/registry.js';
import { aggregated, group as groupDoc, groupList, legacyVersions, resourceList, wantsAggregated } from './discovery.js';
import type { ApiHandler } from './handler.js';
import { chooseOutput, decodeBody, JsonBodyError, type OutputKind, watchOutput } from './negotiation.js';
import type { OpenApiService } from './openapi/index.js';
import { serveOpenApi } from './openapi/serve.js';
import { decodeWithDuplicates, warningHeader } from './rest/field-validation.js';
import { streamRoute, type PodStreams, type StreamRoute } from './rest/pod-streams.js';
import { refuseUpgrade } from '../client/streams/upgrade-proxy.js';
import { dashboardAssets, isDashboardPath } from './dashboard-assets.js';
import { takeWebSocketBearerToken } from './websocket-token.js';
import { requestResourceInfo, requestUrl, type ResourceRequestInfo } from './request-info.js';
import { rawPathname } from './request-path.js';
import { WatchWriter } from './watch-writer.js';
import { healthAnswer, type HealthCheck } from './health.js';
import { applyConnectionLimits, markAuthenticated, serverTimeoutOptions, type ConnectionLimits } from './connection-limits.js';
import { errors, type StatusError, toStatusError } from './status.js';
import type { SecretsEncryption } from './encryption/key-rotation.js';
import type { AuditRecorder, Auditor } from './audit/recorder.js';
import type { ApiServerMetrics } from './metrics/index.js';
import { ENCRYPT_PATH, serveEncryptRoute } from './encryption/routes.js';
import type { ApiRequest, UserInfo, WatchEvent, WatchHandle } from './types.js';
import { ANONYMOUS } from './auth/authenticator.js';
import type { AuthenticatorChain } from './auth/chain.js';
import { impersonate } from './auth/impersonation.js';
import { JWKS_PATH, OIDC_CONFIG_PATH, type OidcDocuments } from './auth/oidc-discovery.js';
import { alwaysAllow, type AuthorizationAttributes, type Authorizer } from './auth/types.js';
import { forbidden } from './auth/forbidden.js';
import type { FlowControlHook } from './flowcontrol/http-hook.js';
import { readBody } from './request-body.js';
import { encodeResult, includeObject, send, sendStatus } from './response-writer.js';
import { toTable } from './table-convert.js';

export interface HttpServerOptions {
  tls: { key: string; cert: string; ca: string };
  handler: ApiHandler;
  registry: ResourceRegistry;
  openapi: OpenApiService;
  /** Who is asking: client certificates, bearer tokens, anonymous. */
  authenticator: AuthenticatorChain;
  /** Decides impersonation (the `impersonate` verb), non-resource paths and streams; resource requests are decided by the handler. Default: alwaysAllow. */
  authorizer?: Authorizer;
  /** Service-account issuer discovery, served at OIDC_CONFIG_PATH and JWKS_PATH. */
  oidc?: OidcDocuments;
  ready(): boolean;
  /** Audit of every request (--audit-policy-file, --audit-log-path). */
  auditor?: Auditor;
  /** Encryption at rest, for `skiff secrets-encrypt`. */
  encryption?: SecretsEncryption;
  /** Checks of /healthz and /readyz besides ping and log (the store's); /livez runs none of them. */
  healthChecks?: HealthCheck[];
  /** Prometheus series of every request, served at GET /metrics. */
  metrics?: ApiServerMetrics;
  version: Record<string, string>;
  /** pods/log, exec, attach, portforward and nodes/proxy, served through node agents. */
  podStreams?: PodStreams;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Request/header timeouts and the per-client limit on unauthenticated connections. */
  limits?: ConnectionLimits;
  /** API Priority and Fairness (or the max-inflight limiter): seats held from `admit` until the handler is done. */
  flowControl?: FlowControlHook;
}

const METHOD_VERB: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', OIDC_CONFIG_PATH, JWKS_PATH]);

export function createApiHttpServer(opts: HttpServerOptions): https.Server {
  const dashboard = dashboardAssets();
  const authorizer = opts.authorizer ?? alwaysAllow;
  /** The user a non-public request acts as; 401 without valid credentials, 403 for a refused impersonation. */
  const requestUser = (req: IncomingMessage, user: UserInfo | undefined, audit?: AuditRecorder): UserInfo => {
    // Anonymous requests go on to authorization (system:public-info-viewer and the like)
    // when an authorizer is configured; without one they reach only the public paths.
    if (!user || (user.username === ANONYMOUS && !opts.authorizer)) throw errors.unauthorized();
    // The audit names who asked (also when impersonation is refused); the user it acts as goes beside it, as kube-apiserver records them.
    audit?.authenticated(user);
    const acting = impersonate(user, req.headers, authorizer, req.rawHeaders);
    if (acting !== user) audit?.impersonated(acting);
    return acting;
  };
  const limits = opts.limits ?? {};
  const tlsOptions = { key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' as const };
  const server = https.createServer({ ...tlsOptions, ...serverTimeoutOptions(limits) }, (req, res) => {
    const audit = opts.auditor?.begin(req, res);
    opts.metrics?.track(req, res);
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
    takeWebSocketBearerToken(req);
    let user: UserInfo;
    let route: ReturnType<typeof streamRoute>;
    try {
      user = requestUser(req, opts.authenticator.authenticate(req));
      route = opts.podStreams && streamRoute(rawPathname(req.url));
    } catch (err) {
      return fail(toStatusError(err));
    }
    if (!route) return fail(errors.pageNotFound(url.pathname));
    try {
      authorizeStream(route, (req.method ?? 'GET').toUpperCase(), user);
    } catch (err) {
      return fail(toStatusError(err));
    }
    opts.podStreams!.upgrade(route, req, socket, head, url.searchParams).catch((err) => {
      const se = toStatusError(err);
      if (se.code >= 500) opts.log?.('stream failed', { url: req.url, error: (err as Error)?.stack ?? String(err) });
      if (socket.writable) fail(se);
      else socket.destroy();
    });
  });
  /** pods/log, exec, attach, port-forward and nodes/proxy bypass the handler: decided here. */
  function authorizeStream(route: StreamRoute, method: string, user: UserInfo): void {
    if (!opts.authorizer) return;
    const a: AuthorizationAttributes =
      route.kind === 'pod'
        ? {
            user,
            // Streams other than logs are writes into the pod, whatever the HTTP method (WebSocket upgrades are GETs).
            verb: route.sub === 'log' ? 'get' : 'create',
            resourceRequest: true,
            apiGroup: '',
            apiVersion: 'v1',
            resource: 'pods',
            subresource: route.sub,
            namespace: route.namespace,
            name: route.name,
          }
        : {
            user,
            verb: METHOD_VERB[method] ?? 'get',
            resourceRequest: true,
            apiGroup: '',
            apiVersion: 'v1',
            resource: 'nodes',
            subresource: 'proxy',
            name: route.name,
          };
    const r = opts.authorizer.authorize(a);
    if (r.decision !== 'allow') throw forbidden(a, r.reason);
  }

  applyConnectionLimits(server, limits);

  /** handle(), then the request's flow-control seats go back once its answer is sent (a watch's once it is established). */
  function admitted(req: IncomingMessage, res: ServerResponse, audit?: AuditRecorder): Promise<void> {
    return handle(req, res, audit).finally(() => opts.flowControl?.done(req, res));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, audit?: AuditRecorder): Promise<void> {
    const url = requestUrl(req);
    const raw = rawPathname(req.url);
    const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    const method = (req.method ?? 'GET').toUpperCase();
    const authenticated = opts.authenticator.authenticate(req);
    if (authenticated && authenticated.username !== ANONYMOUS) markAuthenticated(req.socket);
    // The cluster CA, for agents joining: they check it against the hash in their token (as k3s).
    if (path === '/cacerts' && method === 'GET') return send(res, 200, 'text/plain; charset=utf-8', opts.tls.ca);
    // The raw path: URL parsing would resolve an encoded `..` before the asset check sees it.
    if (isDashboardPath(raw)) return dashboard(req, res, raw);

    if (PUBLIC_PATHS.has(path) || /^\/(healthz|livez|readyz)\//.test(path)) {
      if (path === OIDC_CONFIG_PATH || path === JWKS_PATH) {
        if (!opts.oidc) throw errors.pageNotFound(path);
        return send(
          res,
          200,
          path === JWKS_PATH ? 'application/jwk-set+json' : 'application/json',
          path === JWKS_PATH ? opts.oidc.jwks : opts.oidc.configuration,
        );
      }
      if (path === '/version') return send(res, 200, 'application/json', JSON.stringify(opts.version, null, 2));
      const [name, only] = path.slice(1).split('/') as [string, string?];
      const checks: HealthCheck[] = [
        { name: 'ping', run: () => undefined },
        { name: 'log', run: () => undefined },
        ...(name === 'livez' ? [] : (opts.healthChecks ?? [])),
        ...(name === 'readyz' ? [{ name: 'poststarthook/skiff-bootstrap', run: () => (opts.ready() ? undefined : 'not started') }] : []),
      ];
      const answer = await healthAnswer(name, checks, url.searchParams.has('verbose'), only);
      if (!answer) throw errors.pageNotFound(path);
      return send(res, answer.status, 'text/plain; charset=utf-8', answer.body);
    }
    const user = requestUser(req, authenticated, audit);
    // Flow control after authentication and impersonation, before authorization, as kube-apiserver orders its filters.
    const admitting = opts.flowControl?.admit(req, res, user, method, path, url.searchParams);
    if (admitting) await admitting;
    if (opts.authorizer && !requestResourceInfo(req, method, path, url.searchParams) && !streamRoute(path)) {
      const a = { user, verb: method.toLowerCase(), resourceRequest: false, path };
      const r = opts.authorizer.authorize(a);
      if (r.decision !== 'allow') throw forbidden(a, r.reason);
    }

    const accept = req.headers.accept;
    if (method === 'GET' && (path === '/api' || path === '/apis')) {
      const agg = wantsAggregated(accept);
      if (agg) {
        const body = JSON.stringify(aggregated(opts.registry, path === '/api', agg, opts.handler.aggregated.list()));
        return send(res, 200, `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`, body);
      }
      const host = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const body = path === '/api' ? legacyVersions(`${host}:${req.socket.localPort}`) : groupList(opts.registry, opts.handler.aggregated.list());
      return send(res, 200, 'application/json', JSON.stringify(body));
    }
    if (method === 'GET' && path === '/metrics' && opts.metrics) {
      const page = await opts.metrics.render();
      return send(res, 200, page.contentType, page.body);
    }
    if (method === 'GET' && path.startsWith('/openapi/')) return serveOpenApi(opts.openapi, path, url, req, res);
    if (path.startsWith(`${ENCRYPT_PATH}/`))
      return send(res, 200, 'application/json', JSON.stringify(await serveEncryptRoute(opts.encryption, method, path, user)));
    const gv = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
    if (method === 'GET' && gv) {
      const extra = opts.handler.aggregated.list();
      const doc = gv[1]
        ? resourceList(opts.registry, '', 'v1')
        : gv[3]
          ? resourceList(opts.registry, gv[2]!, gv[3], extra)
          : groupDoc(opts.registry, gv[2]!, extra);
      if (!doc) throw errors.pageNotFound(path);
      return send(res, 200, 'application/json', JSON.stringify(doc));
    }

    const streaming = opts.podStreams && streamRoute(path);
    if (streaming) {
      authorizeStream(streaming, method, user);
      return opts.podStreams!.serve(streaming, req, res, url.searchParams);
    }

    const info = requestResourceInfo(req, method, path, url.searchParams);
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
            : (decodeWithDuplicates(ct, raw, (text) => decodeBody(ct, raw, text), url.searchParams.get('fieldValidation') !== 'Ignore') ?? decodeBody(ct, raw));
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
    const def = opts.handler.resolve(apiReq);
    const how = watchOutput(out, def.group ? `${def.group}/${def.version}` : def.version, def.kind);
    const table = 'plain' in how && how.plain.kind === 'table' ? how.plain : undefined;
    const contentType = 'frame' in how ? how.contentType : table ? `application/json;as=Table;v=${table.version};g=meta.k8s.io` : 'application/json';
    let handle: WatchHandle | undefined;
    // A watcher that cannot keep up is dropped from the cache at once and its stream ended.
    const writer = new WatchWriter(res, undefined, () => {
      done = true;
      handle?.stop();
      opts.log?.('closing a watch whose client cannot keep up', { path: req.url, user: apiReq.user?.username });
    });
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
      writer.end();
    };
    const sink = {
      send(ev: WatchEvent, line?: () => string | Buffer) {
        if (done) return;
        start();
        opts.metrics?.watchEvent(def);
        if ('frame' in how) return writer.push(how.frame(ev));
        let text: string | Buffer | undefined;
        if (table && ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') {
          const t = toTable(def, ev.object, false, { version: table.version, include: includeObject(apiReq.query), noHeaders: !first });
          first = false;
          text = `{"type":"${ev.type}","object":${JSON.stringify(t)}}\n`;
        } else text = line?.();
        writer.push(text ?? `${JSON.stringify(ev)}\n`);
      },
      end: finish,
    };
    handle = await opts.handler.watch(apiReq, sink);
    if (done) handle.stop();
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
