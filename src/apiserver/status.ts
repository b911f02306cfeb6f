// Kubernetes Status errors. Every failure the apiserver answers is one of these, with
// the code, reason and details kubectl and the client libraries branch on.
import type { FieldError } from '../api/types.js';
import { StoreError } from '../storage/store.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: capText(this.message),
      reason: this.reason,
    };
    if (this.details) s.details = orderedDetails(this.details);
    s.code = this.code;
    return s;
  }

  /** The body kube-apiserver writes: Status's fields in Go's declaration order, then a newline (Go's json.Encoder). */
  toJson(): string {
    return `${JSON.stringify(this.toStatus())}\n`;
  }
}

// An error quotes what the client sent (values, paths); capped so no request can make the
// server build an error body of megabytes.
const MAX_MESSAGE_CHARS = 16 * 1024;
const MAX_CAUSES = 1000;

function capText<T extends string | undefined>(s: T): T {
  if (s === undefined || s.length <= MAX_MESSAGE_CHARS) return s;
  return `${s.slice(0, MAX_MESSAGE_CHARS)}... (${s.length - MAX_MESSAGE_CHARS} more characters)` as T;
}

/** StatusDetails and its causes in the order of their Go structs, whatever order they were built in. */
function orderedDetails(d: StatusDetails): StatusDetails {
  const causes = d.causes?.slice(0, MAX_CAUSES).map((c) => defined({ reason: c.reason, message: capText(c.message), field: capText(c.field) }));
  return defined({ name: d.name, group: d.group, kind: d.kind, uid: d.uid, causes, retryAfterSeconds: d.retryAfterSeconds });
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** "deployments.apps" or "pods" — the way Kubernetes names a group resource in messages. */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(group: string, resource: string, name: string): StatusError {
    return new StatusError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, { name, group: group || undefined, kind: resource });
  },
  alreadyExists(group: string, resource: string, name: string): StatusError {
    return new StatusError(409, 'AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  conflict(group: string, resource: string, name: string, why: string): StatusError {
    return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  invalid(group: string, kind: string, name: string, errs: FieldError[]): StatusError {
    const parts = errs.map((e) => `${e.field}: ${e.message}`);
    const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${joined}`, {
      name,
      group: group || undefined,
      kind,
      causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    });
  },
  badRequest(message: string): StatusError {
    return new StatusError(400, 'BadRequest', message);
  },
  methodNotSupported(group: string, resource: string, verb: string): StatusError {
    return new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(group, resource)}"`, {
      group: group || undefined,
      kind: resource,
    });
  },
  notAcceptable(message: string): StatusError {
    return new StatusError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(contentType: string): StatusError {
    return new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`,
    );
  },
  expired(message: string): StatusError {
    return new StatusError(410, 'Expired', message);
  },
  gone(message: string): StatusError {
    return new StatusError(410, 'Gone', message);
  },
  tooLarge(message = 'Request entity too large: limit is 3145728'): StatusError {
    return new StatusError(413, 'RequestEntityTooLarge', message);
  },
  unauthorized(): StatusError {
    return new StatusError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(group: string, resource: string, name: string, why: string): StatusError {
    const what = name ? `${qualifiedResource(group, resource)} "${name}"` : qualifiedResource(group, resource);
    return new StatusError(403, 'Forbidden', `${what} is forbidden: ${why}`, { name: name || undefined, group: group || undefined, kind: resource });
  },
  tooManyRequests(message: string, retryAfterSeconds = 1): StatusError {
    return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
  },
  internal(err: unknown): StatusError {
    const msg = err instanceof Error ? err.message : String(err);
    return new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
  },
  serviceUnavailable(message: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', message);
  },
  timeout(message: string): StatusError {
    return new StatusError(504, 'Timeout', message);
  },
  pageNotFound(path: string): StatusError {
    return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {
      causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }],
    });
  },
};

/** Turns anything thrown into a StatusError; unknown errors become 500 without leaking a stack. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  // The store cannot be reached: the client may retry (503), or its deadline passed (504).
  if (err instanceof StoreError && err.code === 'Unavailable')
    return /deadline|timed? ?out/i.test(err.message) ? errors.timeout(err.message) : errors.serviceUnavailable(err.message);
  return errors.internal(err);
}
