// flowcontrol.apiserver.k8s.io/v1: FlowSchemas (which requests go where) and
// PriorityLevelConfigurations (how much of the server each level gets, and how it queues).
import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

const DISTINGUISHERS = ['ByUser', 'ByNamespace'];
const PL_TYPES = ['Exempt', 'Limited'];
const LIMIT_RESPONSES = ['Queue', 'Reject'];
const SUBJECT_KINDS = ['User', 'Group', 'ServiceAccount'];
/** Kubernetes keeps handSize × log2(queues) within this many bits of the flow hash. */
const MAX_HASH_BITS = 60;

function validateRuleSet(rules: any, i: number): FieldError[] {
  const p = `spec.rules[${i}]`;
  const errs: FieldError[] = [];
  if (!Array.isArray(rules?.subjects) || rules.subjects.length === 0) errs.push(fieldErr.required(`${p}.subjects`, 'subjects must contain at least one value'));
  for (const [j, s] of (Array.isArray(rules?.subjects) ? rules.subjects : []).entries()) {
    if (!SUBJECT_KINDS.includes(s?.kind)) errs.push(fieldErr.notSupported(`${p}.subjects[${j}].kind`, s?.kind, SUBJECT_KINDS));
    else if (s.kind === 'User' && !s.user?.name) errs.push(fieldErr.required(`${p}.subjects[${j}].user.name`, 'username is required'));
    else if (s.kind === 'Group' && !s.group?.name) errs.push(fieldErr.required(`${p}.subjects[${j}].group.name`, 'group name is required'));
    else if (s.kind === 'ServiceAccount' && (!s.serviceAccount?.name || !s.serviceAccount?.namespace))
      errs.push(fieldErr.required(`${p}.subjects[${j}].serviceAccount`, 'name and namespace are required'));
  }
  const rr = Array.isArray(rules?.resourceRules) ? rules.resourceRules : [];
  const nr = Array.isArray(rules?.nonResourceRules) ? rules.nonResourceRules : [];
  if (rr.length === 0 && nr.length === 0) errs.push(fieldErr.required(`${p}`, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
  for (const [j, r] of rr.entries()) {
    for (const f of ['verbs', 'apiGroups', 'resources'])
      if (!Array.isArray(r?.[f]) || r[f].length === 0) errs.push(fieldErr.required(`${p}.resourceRules[${j}].${f}`, `${f} must contain at least one value`));
    if (!r?.clusterScope && !(Array.isArray(r?.namespaces) && r.namespaces.length))
      errs.push(fieldErr.required(`${p}.resourceRules[${j}].namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  }
  for (const [j, r] of nr.entries())
    for (const f of ['verbs', 'nonResourceURLs'])
      if (!Array.isArray(r?.[f]) || r[f].length === 0) errs.push(fieldErr.required(`${p}.nonResourceRules[${j}].${f}`, `${f} must contain at least one value`));
  return errs;
}

export function validateFlowSchema(obj: KObject): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!s.priorityLevelConfiguration?.name) errs.push(fieldErr.required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  const prec = s.matchingPrecedence;
  if (!Number.isInteger(prec) || prec < 1 || prec > 10000)
    errs.push(fieldErr.invalid('spec.matchingPrecedence', prec, 'must be between 1 and 10000, inclusive'));
  const dm = s.distinguisherMethod?.type;
  if (s.distinguisherMethod && !DISTINGUISHERS.includes(dm)) errs.push(fieldErr.notSupported('spec.distinguisherMethod.type', dm, DISTINGUISHERS));
  for (const [i, r] of (Array.isArray(s.rules) ? s.rules : []).entries()) errs.push(...validateRuleSet(r, i));
  return errs;
}

export function validatePriorityLevel(obj: KObject): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!PL_TYPES.includes(s.type)) return [fieldErr.notSupported('spec.type', s.type, PL_TYPES)];
  const name = obj.metadata?.name;
  if (name === 'exempt' && s.type !== 'Exempt') errs.push(fieldErr.invalid('spec.type', s.type, "type must be 'Exempt' if and only if name is 'exempt'"));
  if (name !== 'exempt' && s.type === 'Exempt') errs.push(fieldErr.invalid('spec.type', s.type, "type must be 'Exempt' if and only if name is 'exempt'"));
  if (s.type === 'Exempt') {
    if (s.limited) errs.push(fieldErr.forbidden('spec.limited', 'must be nil if the type is not Limited'));
    return errs;
  }
  const l = s.limited;
  if (!l) return [...errs, fieldErr.required('spec.limited', 'must not be empty when type is Limited')];
  if (!Number.isInteger(l.nominalConcurrencyShares) || l.nominalConcurrencyShares < 0)
    errs.push(fieldErr.invalid('spec.limited.nominalConcurrencyShares', l.nominalConcurrencyShares, 'must be a non-negative integer'));
  for (const f of ['lendablePercent', 'borrowingLimitPercent'])
    if (l[f] != null && (!Number.isInteger(l[f]) || l[f] < 0 || (f === 'lendablePercent' && l[f] > 100)))
      errs.push(
        fieldErr.invalid(
          `spec.limited.${f}`,
          l[f],
          f === 'lendablePercent' ? 'must be between 0 and 100, inclusive' : 'if specified, must be a non-negative integer',
        ),
      );
  const lr = l.limitResponse ?? {};
  if (!LIMIT_RESPONSES.includes(lr.type)) errs.push(fieldErr.notSupported('spec.limited.limitResponse.type', lr.type, LIMIT_RESPONSES));
  else if (lr.type === 'Reject' && lr.queuing)
    errs.push(fieldErr.forbidden('spec.limited.limitResponse.queuing', 'must be nil if limited.limitResponse.type is not Limited'));
  else if (lr.type === 'Queue') {
    const q = lr.queuing ?? {};
    const p = 'spec.limited.limitResponse.queuing';
    if (!(q.queues > 0)) errs.push(fieldErr.invalid(`${p}.queues`, q.queues, 'must be positive'));
    if (!(q.handSize > 0)) errs.push(fieldErr.invalid(`${p}.handSize`, q.handSize, 'must be positive'));
    else if (q.handSize > q.queues) errs.push(fieldErr.invalid(`${p}.handSize`, q.handSize, `should not be greater than queues (${q.queues})`));
    else if (q.handSize * Math.ceil(Math.log2(q.queues)) > MAX_HASH_BITS)
      errs.push(
        fieldErr.invalid(
          `${p}.handSize`,
          q.handSize,
          `required entropy bits of deckSize ${q.queues} and handSize ${q.handSize} should not be greater than ${MAX_HASH_BITS}`,
        ),
      );
    if (!(q.queueLengthLimit > 0)) errs.push(fieldErr.invalid(`${p}.queueLengthLimit`, q.queueLengthLimit, 'must be positive'));
  }
  return errs;
}

/** The v1 defaults (SetDefaults_PriorityLevelConfiguration and friends). */
function defaultPriorityLevel(obj: KObject): void {
  const s = obj.spec;
  if (!s) return;
  if (s.type === 'Exempt') {
    s.exempt ??= {};
    s.exempt.nominalConcurrencyShares ??= 0;
    s.exempt.lendablePercent ??= 0;
  }
  if (s.type === 'Limited' && s.limited) {
    s.limited.nominalConcurrencyShares ??= 30;
    s.limited.lendablePercent ??= 0;
    const lr = (s.limited.limitResponse ??= {});
    if (lr.type === 'Queue') {
      lr.queuing ??= {};
      lr.queuing.queues ??= 64;
      lr.queuing.handSize ??= 8;
      lr.queuing.queueLengthLimit ??= 50;
    }
  }
}

function danglingCell(o: KObject): string {
  const c = (o.status?.conditions ?? []).find((x: any) => x?.type === 'Dangling');
  return c ? String(c.status) : '?';
}

export const flowschemas: ResourceDef = {
  group: 'flowcontrol.apiserver.k8s.io',
  version: 'v1',
  kind: 'FlowSchema',
  plural: 'flowschemas',
  singular: 'flowschema',
  namespaced: false,
  subresources: { status: true },
  generation: true,
  defaults(obj) {
    if (obj.spec) obj.spec.matchingPrecedence ??= 1000;
  },
  validate: validateFlowSchema,
  table: {
    columns: [
      NAME_COLUMN,
      {
        name: 'PriorityLevel',
        type: 'string',
        description: 'priorityLevelConfiguration is the priority level the matching requests are assigned to.',
        priority: 0,
      },
      {
        name: 'MatchingPrecedence',
        type: 'string',
        description: 'matchingPrecedence: among the schemas that match a request, the one with the lowest value wins.',
        priority: 0,
      },
      { name: 'DistinguisherMethod', type: 'string', description: 'distinguisherMethod: how a matching request is split into flows.', priority: 0 },
      AGE_COLUMN,
      { name: 'MissingPL', type: 'string', description: 'Whether the referenced priority level is missing (the Dangling condition).', priority: 0 },
    ],
    row: (o, now) => [
      o.metadata?.name,
      o.spec?.priorityLevelConfiguration?.name ?? '',
      String(o.spec?.matchingPrecedence ?? ''),
      o.spec?.distinguisherMethod?.type ?? '<none>',
      age(o.metadata?.creationTimestamp, now),
      danglingCell(o),
    ],
  },
};

export const prioritylevelconfigurations: ResourceDef = {
  group: 'flowcontrol.apiserver.k8s.io',
  version: 'v1',
  kind: 'PriorityLevelConfiguration',
  plural: 'prioritylevelconfigurations',
  singular: 'prioritylevelconfiguration',
  namespaced: false,
  subresources: { status: true },
  generation: true,
  defaults: defaultPriorityLevel,
  validate: validatePriorityLevel,
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Type', type: 'string', description: 'type: Exempt or Limited.', priority: 0 },
      { name: 'NominalConcurrencyShares', type: 'string', description: "This level's share of the server's concurrency limit.", priority: 0 },
      { name: 'Queues', type: 'string', description: 'Number of queues.', priority: 0 },
      { name: 'HandSize', type: 'string', description: 'Queues a flow is shuffle-sharded over.', priority: 0 },
      { name: 'QueueLengthLimit', type: 'string', description: 'Requests a queue holds before it rejects.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => {
      const l = o.spec?.limited;
      const q = l?.limitResponse?.queuing;
      const cell = (v: unknown) => (v == null ? '<none>' : String(v));
      return [
        o.metadata?.name,
        o.spec?.type ?? '',
        cell(l?.nominalConcurrencyShares),
        cell(q?.queues),
        cell(q?.handSize),
        cell(q?.queueLengthLimit),
        age(o.metadata?.creationTimestamp, now),
      ];
    },
  },
};

export const flowcontrolResources: ResourceDef[] = [flowschemas, prioritylevelconfigurations];
