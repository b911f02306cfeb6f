// One request's audit record, filled in as the request is served and written at each
// stage the policy keeps: RequestReceived once the user and the request are known,
// ResponseStarted when a long-running response (a watch) begins, ResponseComplete when the
// response ends. The level decides how much goes in: Metadata (who, what, outcome),
// Request (+ the request body), RequestResponse (+ the response body).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../types.js';
import type { AuditLog } from './log-backend.js';
import { type AuditAttributes, type AuditDecision, type AuditPolicy, type AuditStage, decide } from './policy.js';

interface FailureStatus {
  code: number;
  reason?: string;
  message: string;
  details?: unknown;
}

/** Kubernetes writes MicroTime; JavaScript clocks give milliseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace('Z', '000Z');
}

function withoutManagedFields(obj: unknown): unknown {
  const o = obj as { metadata?: { managedFields?: unknown } } | undefined;
  if (!o?.metadata?.managedFields) return obj;
  const { managedFields: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}

export class AuditRecorder {
  private readonly auditID = randomUUID();
  private readonly received = new Date();
  private user: UserInfo = { username: '', groups: [] };
  private impersonatedUser?: UserInfo;
  private attrs?: AuditAttributes;
  private decision?: AuditDecision;
  private requestObject?: unknown;
  private responseObject?: unknown;
  private failure?: FailureStatus;
  private authz?: { decision: string; reason?: string };
  private done = false;

  constructor(
    private readonly policy: AuditPolicy,
    private readonly log: AuditLog,
    private readonly req: IncomingMessage,
    res: ServerResponse,
  ) {
    res.setHeader('Audit-Id', this.auditID);
    res.once('close', () => this.complete(res.statusCode));
  }

  /** Who is asking, once authentication has answered. */
  authenticated(user: UserInfo | undefined): void {
    if (user) this.user = user;
  }

  /** The user the request acts as when it impersonates one; the policy still matches who asked. */
  impersonated(user: UserInfo): void {
    this.impersonatedUser = user;
  }

  /** What the request asks for is known: decides the level and records RequestReceived. */
  identify(attrs: Omit<AuditAttributes, 'user'>): void {
    this.attrs = { ...attrs, user: this.user };
    this.decision = decide(this.policy, this.attrs);
    this.emit('RequestReceived');
  }

  authorized(decision: 'allow' | 'forbid', reason?: string): void {
    this.authz = { decision, reason };
  }

  requestBody(obj: unknown): void {
    this.requestObject = obj;
  }

  responseBody(obj: unknown): void {
    this.responseObject = obj;
  }

  failed(status: FailureStatus): void {
    this.failure = status;
  }

  /** A long-running response (watch, stream) has begun. */
  started(code = 200): void {
    this.emit('ResponseStarted', code);
  }

  private complete(code: number): void {
    if (this.done) return;
    this.done = true;
    // A request refused before it was understood (no credentials, a bad path) is audited as what it was.
    if (!this.decision) this.identify({ verb: (this.req.method ?? 'get').toLowerCase(), resourceRequest: false, path: this.path() });
    this.emit('ResponseComplete', code);
  }

  private path(): string {
    return new URL(this.req.url ?? '/', 'https://localhost').pathname;
  }

  private emit(stage: AuditStage, code?: number): void {
    const d = this.decision;
    if (!d || d.level === 'None' || d.omitStages.has(stage)) return;
    const a = this.attrs!;
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: d.level,
      auditID: this.auditID,
      stage,
      requestURI: this.req.url ?? '/',
      verb: a.verb,
      user: this.user,
      ...(this.impersonatedUser ? { impersonatedUser: this.impersonatedUser } : {}),
      sourceIPs: [(this.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')],
      userAgent: this.req.headers['user-agent'],
    };
    if (a.resourceRequest) {
      const ref: Record<string, string> = { resource: a.resource! };
      if (a.namespace) ref.namespace = a.namespace;
      if (a.name) ref.name = a.name;
      if (a.apiGroup) ref.apiGroup = a.apiGroup;
      if (a.apiVersion) ref.apiVersion = a.apiVersion;
      if (a.subresource) ref.subresource = a.subresource;
      event.objectRef = ref;
    }
    if (code !== undefined) {
      const f = this.failure;
      event.responseStatus =
        f && f.code === code ? { metadata: {}, status: 'Failure', message: f.message, reason: f.reason, details: f.details, code } : { metadata: {}, code };
    }
    const strip = d.omitManagedFields ? withoutManagedFields : (o: unknown) => o;
    if ((d.level === 'Request' || d.level === 'RequestResponse') && this.requestObject !== undefined) event.requestObject = strip(this.requestObject);
    if (d.level === 'RequestResponse' && stage === 'ResponseComplete' && this.responseObject !== undefined) event.responseObject = strip(this.responseObject);
    event.requestReceivedTimestamp = microTime(this.received);
    event.stageTimestamp = microTime(new Date());
    if (this.authz) event.annotations = { 'authorization.k8s.io/decision': this.authz.decision, 'authorization.k8s.io/reason': this.authz.reason ?? '' };
    this.log.write(event);
  }
}

/** The audit of a server: its policy and its log. */
export class Auditor {
  constructor(
    private readonly policy: AuditPolicy,
    private readonly log: AuditLog,
  ) {}

  begin(req: IncomingMessage, res: ServerResponse): AuditRecorder {
    return new AuditRecorder(this.policy, this.log, req, res);
  }

  close(): void {
    this.log.close();
  }
}
