// The client transport for components living in the skiff process: requests go straight
// to the apiserver's handlers as objects — no TLS, no HTTP, no JSON round trip. Objects
// coming back may be the watch cache's frozen objects: callers copy before changing.
import { ApiError, type RequestOptions, type Transport, type WatchHandlers } from '../client/transport.js';
import type { ApiHandler } from './handler.js';
import type { ApiServerMetrics } from './metrics/index.js';
import { parseResourcePath } from './request-info.js';
import { StatusError } from './status.js';
import type { ApiRequest, UserInfo } from './types.js';

function toQuery(q: RequestOptions['query']): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q ?? {})) if (v !== undefined) p.set(k, String(v));
  return p;
}

/**
 * In-process requests resolve through promise jobs only, which Node runs before any I/O: a
 * controller working through a backlog (100,000 pods after a restart) would never let the
 * HTTP server read a request. Every request made after this much uninterrupted work first
 * yields one turn of the event loop, so clients over HTTPS are served while the controllers
 * catch up; on a server that is not this busy no request waits.
 */
const YIELD_AFTER_MS = 20;
/** When the event loop last reached its check phase (where I/O has had its turn). */
let lastTurn = performance.now();
let turnPending = false;

async function fairTurn(): Promise<void> {
  if (!turnPending) {
    turnPending = true;
    setImmediate(() => {
      turnPending = false;
      lastTurn = performance.now();
    });
  }
  if (performance.now() - lastTurn < YIELD_AFTER_MS) return;
  await new Promise<void>((r) => setImmediate(r));
}

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
    await fairTurn();
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
