// Records core/v1 Events the way client-go's recorder does: one Event per
// (object, reason, message, type, component), its count and lastTimestamp bumped on
// repeats, so `kubectl describe` shows "(x3 over 10s)". Failures to record are logged,
// never raised: an event is never worth failing a reconcile.
import { randomBytes } from 'node:crypto';
import type { Client } from './client.js';
import { isNotFound } from './transport.js';
import type { Logger } from '../util/log.js';
import type { KObject } from '../api/types.js';
import { formatTime } from '../util/time.js';

export interface EventRecorder {
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const MAX_TRACKED = 4096;

export class ClientEventRecorder implements EventRecorder {
  // key → name of the Event object already written for it
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: string }>();
  // Name suffixes: a random start per recorder, then counted, so a burst in one millisecond
  // stays apart without asking the system for randomness on every Event.
  private seq = randomBytes(4).readUInt32BE(0);

  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly log: Logger,
    private readonly host = '',
    private readonly now: () => number = Date.now,
  ) {}

  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.record(obj, type, reason, message).catch((err) =>
      this.log.warn('could not record event', { reason, object: obj.metadata?.name, error: (err as Error).message }),
    );
  }

  private async record(obj: KObject, type: string, reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const involvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    };
    const key = [involvedObject.kind, namespace, involvedObject.name, involvedObject.uid, type, reason, message].join('\u0000');
    const now = this.now();
    const prior = this.seen.get(key);
    if (prior) {
      try {
        const ev = await this.client.events.get(prior.name, prior.namespace);
        prior.count = (ev.count ?? prior.count) + 1;
        await this.client.events.patch(prior.name, { count: prior.count, lastTimestamp: formatTime(now) }, 'merge', { namespace: prior.namespace });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key);
      }
    }
    // Time plus a counter from a random start, as client-go names events by time.
    const name = `${meta.name}.${now.toString(16)}${(this.seq++ >>> 0).toString(16).padStart(8, '0')}`;
    const first = formatTime(now);
    await this.client.events.create({
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: first,
      lastTimestamp: first,
      eventTime: null as unknown as undefined,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.component,
      reportingInstance: this.host || this.component,
    } as never);
    if (this.seen.size >= MAX_TRACKED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { name, namespace, count: 1, first });
  }
}
