// Where HTTPS requests meet flow control. `admit` runs once the user is known and either
// returns with the request's seats held or throws the 429; `done` frees the seats when
// the handler has finished and its response has gone to the socket — kube-apiserver's
// handler returns only after its blocking writes, so a large or slowly read answer holds
// its seats; for a watch the seats go back once it is established, so that a watch holds
// them only while it starts, as in kube-apiserver. Long-running requests (exec, attach,
// port-forward, logs, proxy) bypass flow control entirely, as Kubernetes' long-running
// check makes them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseResourcePath, requestResourceInfo } from '../request-info.js';
import type { UserInfo } from '../types.js';
import type { RequestDigest } from './classify.js';
import { type Admission, estimateSeats, EXEMPT_RELEASE, type FlowControl, RETRY_AFTER_SECONDS, tooManyRequests } from './dispatcher.js';
import type { MaxInflight } from './max-inflight.js';

const LONG_RUNNING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);
const ANONYMOUS = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface FlowControlHook {
  /** Returns a promise only when the request may have to wait (an exempt one never does). */
  admit(req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined, method: string, path: string, query: URLSearchParams): Promise<void> | void;
  done(req: IncomingMessage, res: ServerResponse): void;
}

export interface FlowControlHookOptions {
  /** APF; when absent, `maxInflight` limits instead (--enable-priority-and-fairness=false). */
  flowControl?: FlowControl;
  maxInflight?: MaxInflight;
  /** Objects a list walks, for its seat estimate. */
  countObjects?(group: string, version: string, resource: string, namespace: string | undefined): number | undefined;
}

/** The request as flow control sees it, or undefined for a long-running one. */
export function digestRequest(
  user: UserInfo | undefined,
  method: string,
  path: string,
  query: URLSearchParams,
  parse: typeof parseResourcePath = parseResourcePath,
): RequestDigest | undefined {
  const u = user ?? ANONYMOUS;
  if (/\/proxy(\/|$)/.test(path) && /^\/apis?\//.test(path)) return undefined;
  let info: ReturnType<typeof parseResourcePath>;
  try {
    info = parse(method, path, query);
  } catch {
    info = undefined; // an undecodable path: classified as non-resource, rejected later
  }
  if (!info) return { user: u, verb: method.toLowerCase(), path };
  if (info.subresource && LONG_RUNNING_SUBRESOURCES.has(info.subresource)) return undefined;
  return {
    user: u,
    verb: info.verb,
    path,
    resource: { group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace },
  };
}

export function flowControlHook(opts: FlowControlHookOptions): FlowControlHook {
  const held = new WeakMap<IncomingMessage, () => void>();
  /** Seats held: headers said, release kept for done(); the client left while it waited: they go back now. */
  const hold = (req: IncomingMessage, res: ServerResponse, a: Admission) => {
    setHeaders(res, a.schema.metadata?.uid, a.level.metadata?.uid);
    if (a.release === EXEMPT_RELEASE) return;
    held.set(req, a.release);
    if (res.destroyed) a.release();
  };
  const refused = (res: ServerResponse, err: unknown) => {
    const c = (err as { classification?: { schema: { metadata?: { uid?: string } }; level: { metadata?: { uid?: string } } } }).classification;
    if (c) {
      setHeaders(res, c.schema.metadata?.uid, c.level.metadata?.uid);
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    }
    return err;
  };
  return {
    admit(req, res, user, method, path, query) {
      const digest = digestRequest(user, method, path, query, (m, p, q) => requestResourceInfo(req, m, p, q));
      if (!digest) return;
      const fc = opts.flowControl;
      if (!fc) {
        if (digest.verb === 'watch' || digest.user.groups.includes('system:masters') || !opts.maxInflight) return;
        const release = opts.maxInflight.tryAcquire(digest.verb);
        if (!release) {
          res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
          throw tooManyRequests();
        }
        held.set(req, release);
        return;
      }
      const r = digest.resource;
      const count = r && digest.verb === 'list' ? opts.countObjects?.(r.group, r.version ?? 'v1', r.resource, r.namespace) : undefined;
      const seats = estimateSeats(digest.verb, count, Number(query.get('limit') ?? 0));
      let cancel: (() => void) | undefined;
      let admission: Admission | Promise<Admission>;
      try {
        admission = fc.admit(digest, seats, (c) => {
          cancel = c;
        });
      } catch (err) {
        throw refused(res, err);
      }
      if (!(admission instanceof Promise)) return hold(req, res, admission);
      // Queued (the ticket was taken synchronously above): a client that goes away withdraws it.
      const gone = () => cancel?.();
      res.once('close', gone);
      return admission.then(
        (a) => {
          res.off('close', gone);
          hold(req, res, a);
        },
        (err) => {
          res.off('close', gone);
          throw refused(res, err);
        },
      );
    },
    done(req, res) {
      const release = held.get(req);
      if (!release) return;
      held.delete(req);
      // Ended but not yet flushed: Node buffered the body, which Go would still be writing.
      if (res.writableEnded && !res.writableFinished && !res.destroyed) {
        res.once('finish', release);
        res.once('close', release);
      } else release();
    },
  };
}

function setHeaders(res: ServerResponse, schemaUid: string | undefined, levelUid: string | undefined): void {
  if (res.headersSent) return;
  if (schemaUid) res.setHeader('X-Kubernetes-PF-FlowSchema-UID', schemaUid);
  if (levelUid) res.setHeader('X-Kubernetes-PF-PriorityLevel-UID', levelUid);
}
