// The client transport for components living in the skiff process: requests go straight
// to the apiserver's handlers as objects — no TLS, no HTTP, no JSON round trip. Objects
// coming back may be the watch cache's frozen objects: callers copy before changing.
import { ApiError, type RequestOptions, type Transport, type WatchHandlers } from '../client/transport.js';
import type { ApiHandler } from './handler.js';
import type { ApiServerMetrics } from './metrics/index.js';
import { parseResourcePath } from './request-info.js';
import { StatusError } from './status.js';
import type { ApiRequest, UserInfo } from './types.js';
import { fairTurn } from '../util/turns.js';

function toQuery(q: RequestOptions['query']): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) p.set(k, String(v));
  return p;
}

/** Leader election's and node heartbeats' Leases: small writes on a deadline. */
const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/|$)/;

function toApiError(err: unknown): unknown {
  if (err instanceof StatusError) return ApiError.fromStatus(err.code, err.toStatus());
  return err;
}

export class InProcessTransport implements Transport {
  constructor(
    private readonly handler: ApiHandler,
    private readonly user: UserInfo = { username: 'system:skiff', groups: ['system:masters', 'system:authenticated'] },
    /** Names the component in managedFields, as its User-Agent would over HTTPS (e.g. kube-controller-manager). */
    private readonly userAgent?: string,
    /** Counts these requests in apiserver_request_total, as loopback requests are. */
    private readonly metrics?: ApiServerMetrics,
  ) {}

  private build(method: string, path: string, query: URLSearchParams, body?: unknown, contentType?: string): ApiRequest {
    const info = parseResourcePath(method, path, query);
    if (!info) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`);
    return {
      ...info,
      query,
      body,
      patchType: method === 'PATCH' ? (contentType ?? 'application/merge-patch+json') : undefined,
      user: this.user,
      userAgent: this.userAgent,
    };
  }

  async request(opts: RequestOptions): Promise<any> {
    // A controller working through a backlog (100,000 pods) must leave turns to clients over
    // HTTPS. Lease renewals do not queue behind it, as APF's leader-election and node-high
    // levels keep them apart: a leader that misses its renewal deadline stops every controller.
    if (!LEASES.test(opts.path)) await fairTurn();
    let finish: ((code: number) => void) | undefined;
    try {
      const query = toQuery(opts.query);
      const req = this.build(opts.method, opts.path, query, opts.body, opts.contentType);
      finish = this.metrics?.begin(opts.method, req, query, req.patchType);
      const result = await this.handler.handle(req);
      finish?.(result.status);
      return result.body;
    } catch (err) {
      finish?.(err instanceof StatusError ? err.code : 500);
      throw toApiError(err);
    }
  }

  watch(path: string, query: RequestOptions['query'], handlers: WatchHandlers): { stop(): void } {
    const q = toQuery(query);
    q.set('watch', 'true');
    let stopped = false;
    let closed = false;
    let handle: { stop(): void } | undefined;
    const close = (err?: Error) => {
      if (closed) return;
      closed = true;
      handlers.onClose(err);
    };
    const sink = {
      send(ev: { type: any; object: any }) {
        if (!stopped) handlers.onEvent(ev);
      },
      end() {
        // Delivered on a later tick so a handler may call stop() from inside onEvent safely.
        queueMicrotask(() => close());
      },
    };
    Promise.resolve()
      .then(() => this.handler.watch(this.build('GET', path, q), sink))
      .then((h) => {
        handle = h;
        if (stopped) h.stop();
      })
      .catch((err) => close(toApiError(err) as Error));
    return {
      stop() {
        stopped = true;
        handle?.stop();
      },
    };
  }
}
