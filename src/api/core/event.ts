import type { FieldError, KObject, ResourceDef } from '../types.js';
import { NAME_COLUMN, age } from '../table.js';
import { fieldErr, isQualifiedName } from '../validation.js';
import { validateDNS1123Subdomain } from './validate-helpers.js';

const LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 1024 };

/** Kubernetes' legacyValidateEvent, as applied to core/v1 requests. */
export function validateEvent(ev: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  if (!ev.eventTime) {
    // Old-style events: the involved object's namespace must agree (or be empty in "default").
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(fieldErr.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs) {
      errs.push(fieldErr.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system')
      errs.push(fieldErr.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    const rc = ev.reportingComponent ?? '';
    if (!rc) errs.push(fieldErr.required('reportingComponent'));
    for (const m of isQualifiedName(rc)) errs.push(fieldErr.invalid('reportingComponent', rc, m));
    for (const k of ['reportingInstance', 'action', 'reason'] as const) {
      if (!ev[k]) errs.push(fieldErr.required(k));
      if (String(ev[k] ?? '').length > LIMITS[k]) errs.push(fieldErr.invalid(k, '', `can have at most ${LIMITS[k]} characters`));
    }
    if (String(ev.message ?? '').length > LIMITS.message) errs.push(fieldErr.invalid('message', '', `can have at most ${LIMITS.message} characters`));
    if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(fieldErr.invalid('type', '', `has invalid value: ${ev.type ?? ''}`));
  }
  if (ns) errs.push(...validateDNS1123Subdomain(ns, 'namespace'));
  return errs;
}

/** SOURCE cell: "component, host" falling back to reportingComponent/reportingInstance. */
export function eventSource(ev: KObject): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

const col = (name: string, description: string, priority = 0) => ({ name, type: 'string' as const, description, priority });

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  allowCreateOnUpdate: true,
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  validate: validateEvent,
  table: {
    columns: [
      col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
      col('Object', 'The object that this event is about.'),
      col(
        'Subobject',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
        1,
      ),
      col('Source', 'The component reporting this event. Should be a short machine understandable string.', 1),
      col('Message', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
      col('Count', 'The number of times this event has occurred.', 1),
      { ...NAME_COLUMN, priority: 1 },
    ],
    row(ev, now) {
      const first = ev.firstTimestamp ? age(ev.firstTimestamp, now) : age(ev.eventTime, now);
      let last = ev.lastTimestamp ? age(ev.lastTimestamp, now) : first;
      let count = ev.count ?? 0;
      if (ev.series) {
        last = age(ev.series.lastObservedTime, now);
        count = ev.series.count ?? 0;
      } else if (count === 0) {
        count = 1;
      }
      const kind = String(ev.involvedObject?.kind ?? '').toLowerCase();
      const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
      return [
        last,
        ev.type ?? '',
        ev.reason ?? '',
        target,
        ev.involvedObject?.fieldPath ?? '',
        eventSource(ev),
        String(ev.message ?? '').trim(),
        first,
        count,
        ev.metadata?.name,
      ];
    },
  },
  fieldSelectors: {
    'involvedObject.kind': (e) => e.involvedObject?.kind ?? '',
    'involvedObject.namespace': (e) => e.involvedObject?.namespace ?? '',
    'involvedObject.name': (e) => e.involvedObject?.name ?? '',
    'involvedObject.uid': (e) => e.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath ?? '',
    reason: (e) => e.reason ?? '',
    reportingComponent: (e) => e.reportingComponent ?? '',
    source: (e) => e.source?.component ?? '',
    type: (e) => e.type ?? '',
  },
};
