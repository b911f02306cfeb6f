// events.k8s.io/v1 Event. Kubernetes stores one Event type and serves it as core/v1 and as
// events.k8s.io/v1; the converters below map between the two shapes.
import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, immutable, isDNS1123Subdomain, isQualifiedName } from '../validation.js';
import { age } from '../table.js';
import { clone } from '../../util/clone.js';

const REASON_LIMIT = 128;
const ACTION_LIMIT = 128;
const REPORTING_INSTANCE_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** core/v1 Event → events.k8s.io/v1 Event. Zero timestamps become null, as Go serialises them. */
export function coreEventToEventsV1(obj: KObject): KObject {
  const out: KObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: clone(obj.metadata ?? {}) };
  out.eventTime = obj.eventTime ?? null;
  if (obj.series) out.series = clone(obj.series);
  if (obj.reportingComponent) out.reportingController = obj.reportingComponent;
  if (obj.reportingInstance) out.reportingInstance = obj.reportingInstance;
  if (obj.action) out.action = obj.action;
  if (obj.reason) out.reason = obj.reason;
  out.regarding = clone(obj.involvedObject ?? {});
  if (obj.related) out.related = clone(obj.related);
  if (obj.message) out.note = obj.message;
  if (obj.type) out.type = obj.type;
  out.deprecatedSource = clone(obj.source ?? {});
  out.deprecatedFirstTimestamp = obj.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = obj.lastTimestamp ?? null;
  if (obj.count) out.deprecatedCount = obj.count;
  return out;
}

/** events.k8s.io/v1 Event → core/v1 Event. */
export function eventsV1ToCoreEvent(obj: KObject): KObject {
  const out: KObject = { apiVersion: 'v1', kind: 'Event', metadata: clone(obj.metadata ?? {}) };
  out.involvedObject = clone(obj.regarding ?? {});
  if (obj.reason) out.reason = obj.reason;
  if (obj.note) out.message = obj.note;
  out.source = clone(obj.deprecatedSource ?? {});
  out.firstTimestamp = obj.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = obj.deprecatedLastTimestamp ?? null;
  if (obj.deprecatedCount) out.count = obj.deprecatedCount;
  if (obj.type) out.type = obj.type;
  out.eventTime = obj.eventTime ?? null;
  if (obj.series) out.series = clone(obj.series);
  if (obj.action) out.action = obj.action;
  if (obj.related) out.related = clone(obj.related);
  out.reportingComponent = obj.reportingController ?? '';
  out.reportingInstance = obj.reportingInstance ?? '';
  return out;
}

/**
 * Validation of an Event created through events.k8s.io/v1 (the strict rules), on the core
 * shape and with core field names, exactly as Kubernetes reports them.
 */
export function validateEventCreate(core: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = String(core.metadata?.namespace ?? '');
  const involved = core.involvedObject ?? {};
  if (!core.eventTime) errs.push(fieldErr.required('eventTime'));
  else {
    if (!involved.namespace && ns !== 'default' && ns !== 'kube-system')
      errs.push(fieldErr.invalid('involvedObject.namespace', involved.namespace ?? '', 'does not match event.namespace'));
    const rc = String(core.reportingComponent ?? '');
    if (!rc) errs.push(fieldErr.required('reportingController'));
    for (const m of isQualifiedName(rc)) errs.push(fieldErr.invalid('reportingController', rc, m));
    const ri = String(core.reportingInstance ?? '');
    if (!ri) errs.push(fieldErr.required('reportingInstance'));
    if (ri.length > REPORTING_INSTANCE_LIMIT) errs.push(fieldErr.invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    const action = String(core.action ?? '');
    if (!action) errs.push(fieldErr.required('action'));
    if (action.length > ACTION_LIMIT) errs.push(fieldErr.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    const reason = String(core.reason ?? '');
    if (!reason) errs.push(fieldErr.required('reason'));
    if (reason.length > REASON_LIMIT) errs.push(fieldErr.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if (String(core.message ?? '').length > NOTE_LIMIT) errs.push(fieldErr.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(fieldErr.invalid('namespace', ns, m));
  if (core.series) {
    if (!(core.series.count >= 2)) errs.push(fieldErr.invalid('series.count', '', 'should be at least 2'));
    if (!core.series.lastObservedTime) errs.push(fieldErr.required('series.lastObservedTime'));
  }
  if (core.type !== 'Normal' && core.type !== 'Warning') errs.push(fieldErr.invalid('type', '', `has invalid value: ${core.type ?? ''}`));
  if (core.firstTimestamp) errs.push(fieldErr.invalid('firstTimestamp', '', 'needs to be unset'));
  if (core.lastTimestamp) errs.push(fieldErr.invalid('lastTimestamp', '', 'needs to be unset'));
  if (core.count) errs.push(fieldErr.invalid('count', '', 'needs to be unset'));
  if (core.source?.component || core.source?.host) errs.push(fieldErr.invalid('source', '', 'needs to be unset'));
  return errs;
}

/** Fields an events.k8s.io/v1 client may not change: only series (and metadata) move. */
export function validateEventUpdate(core: KObject, oldCore: KObject): FieldError[] {
  const fields = [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ];
  const names: Record<string, string> = { reportingComponent: 'reportingController' };
  return fields.flatMap((f) => immutable(core[f] ?? null, oldCore[f] ?? null, names[f] ?? f));
}

/** The cells of Kubernetes' event printer, from the core shape. */
export function eventRow(core: KObject, now: number): unknown[] {
  const first = core.firstTimestamp ? age(core.firstTimestamp, now) : age(core.eventTime ?? undefined, now);
  let last = core.lastTimestamp ? age(core.lastTimestamp, now) : first;
  let count = core.count ?? 0;
  if (core.series) {
    last = age(core.series.lastObservedTime, now);
    count = core.series.count ?? 0;
  } else if (!count) count = 1; // singleton events of the new API carry no count
  const inv = core.involvedObject ?? {};
  const kind = String(inv.kind ?? '').toLowerCase();
  const target = inv.name ? `${kind}/${inv.name}` : kind;
  const component = core.source?.component || core.reportingComponent || '';
  const instance = core.source?.host || core.reportingInstance || '';
  const source = instance ? `${component}, ${instance}` : component;
  return [last, core.type ?? '', core.reason ?? '', target, inv.fieldPath ?? '', source, String(core.message ?? '').trim(), first, count, core.metadata?.name];
}

export const EVENT_COLUMNS = [
  { name: 'Last Seen', type: 'string', description: 'The time at which the most recent occurrence of this event was recorded.', priority: 0 },
  { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning), new types could be added in the future', priority: 0 },
  {
    name: 'Reason',
    type: 'string',
    description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    priority: 0,
  },
  { name: 'Object', type: 'string', description: 'The object that this event is about.', priority: 0 },
  {
    name: 'Subobject',
    type: 'string',
    description:
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
    priority: 1,
  },
  { name: 'Source', type: 'string', description: 'The component reporting this event. Should be a short machine understandable string.', priority: 1 },
  { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.', priority: 0 },
  { name: 'First Seen', type: 'string', description: 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', priority: 1 },
  { name: 'Count', type: 'string', description: 'The number of times this event has occurred.', priority: 1 },
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 1 },
] as const;

export const events: ResourceDef = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  validate: (obj) => validateEventCreate(eventsV1ToCoreEvent(obj)),
  validateUpdate: (obj, old) => validateEventUpdate(eventsV1ToCoreEvent(obj), eventsV1ToCoreEvent(old)),
  table: {
    columns: [...EVENT_COLUMNS],
    row: (o, now) => eventRow(eventsV1ToCoreEvent(o), now),
  },
};
