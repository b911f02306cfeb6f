// The operations of one resource as OpenAPI path items, in either dialect. The write
// operations carry dryRun / fieldManager / fieldValidation (and force on patch): kubectl
// reads fieldValidation on a kind's PATCH operation to decide that the server validates
// fields itself.
import type { ResourceDef } from '../../api/types.js';
import type { Dialect } from './render.js';

export interface KindRef {
  /** Definition name of the kind (e.g. io.k8s.api.apps.v1.Deployment). */
  schema: string;
  gvk: { group: string; version: string; kind: string };
}

type Param = [name: string, type: 'string' | 'integer' | 'boolean', description: string];

const P: Record<string, Param> = {
  pretty: ['pretty', 'string', "If 'true', the output is indented."],
  dryRun: ['dryRun', 'string', 'All: run every stage of the request but persist nothing.'],
  fieldManager: ['fieldManager', 'string', 'Name of the actor making the change; recorded in managedFields.'],
  fieldValidation: ['fieldValidation', 'string', 'What to do with unknown or duplicate fields in the body: Ignore, Warn (the default) or Strict.'],
  force: ['force', 'boolean', 'Apply requests: take ownership of conflicting fields.'],
  gracePeriodSeconds: ['gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes now.'],
  orphanDependents: ['orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'],
  propagationPolicy: ['propagationPolicy', 'string', 'Orphan, Background or Foreground garbage collection of dependents.'],
  allowWatchBookmarks: ['allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events in a watch.'],
  continue: ['continue', 'string', 'Token of the next page of a limited list.'],
  fieldSelector: ['fieldSelector', 'string', 'Select objects by fields.'],
  labelSelector: ['labelSelector', 'string', 'Select objects by labels.'],
  limit: ['limit', 'integer', 'Most items in one page.'],
  resourceVersion: ['resourceVersion', 'string', 'Version the list or watch starts from.'],
  resourceVersionMatch: ['resourceVersionMatch', 'string', 'How resourceVersion applies: Exact or NotOlderThan.'],
  sendInitialEvents: ['sendInitialEvents', 'boolean', 'Start a watch with the current objects as ADDED events.'],
  timeoutSeconds: ['timeoutSeconds', 'integer', 'Seconds before the list or watch ends.'],
  watch: ['watch', 'boolean', 'Watch for changes instead of listing.'],
};
const WRITE = ['dryRun', 'fieldManager', 'fieldValidation'];
const LIST = [
  'allowWatchBookmarks',
  'continue',
  'fieldSelector',
  'labelSelector',
  'limit',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
  'watch',
];
const DELETE = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
// Custom resources take no strategic merge patch; kubectl reads this to fall back to merge patch.
const CUSTOM_PATCH_TYPES = PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');
const MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

function param(name: string, where: 'query' | 'path', dialect: Dialect): Record<string, unknown> {
  const [n, type, description] = P[name] ?? [name, 'string', `Name of the ${name}.`];
  const base = { name: n, in: where, description, ...(where === 'path' ? { required: true } : {}) };
  if (dialect === 'v2') return { ...base, type, uniqueItems: true };
  return { ...base, schema: { type, uniqueItems: true } };
}

function opIdPart(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return (
    g
      .split('.')
      .map((s) => s[0]!.toUpperCase() + s.slice(1))
      .join('') +
    version[0]!.toUpperCase() +
    version.slice(1)
  ).replace(/[^A-Za-z0-9]/g, '');
}

export class PathBuilder {
  constructor(private readonly dialect: Dialect) {}

  private ref(name: string): Record<string, unknown> {
    return { $ref: `${this.dialect === 'v3' ? '#/components/schemas/' : '#/definitions/'}${name}` };
  }

  private responses(codes: number[], schema: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of codes) {
      const description = c === 201 ? 'Created' : c === 202 ? 'Accepted' : 'OK';
      out[c] =
        this.dialect === 'v3'
          ? { description, content: Object.fromEntries(MEDIA.map((m) => [m, { schema: this.ref(schema) }])) }
          : { description, schema: this.ref(schema) };
    }
    out['401'] = { description: 'Unauthorized' };
    return out;
  }

  private body(schema: string, types = ['*/*']): Record<string, unknown> {
    if (this.dialect === 'v3') return { requestBody: { content: Object.fromEntries(types.map((t) => [t, { schema: this.ref(schema) }])), required: true } };
    return { bodyParam: { name: 'body', in: 'body', required: true, schema: this.ref(schema) }, ...(types[0] !== '*/*' ? { consumes: types } : {}) };
  }

  private op(
    action: string,
    opId: string,
    k: KindRef,
    o: { params?: string[]; body?: string; bodyTypes?: string[]; codes: number[]; response: string; description: string },
  ): Record<string, unknown> {
    const params = (o.params ?? []).map((p) => param(p, 'query', this.dialect));
    const b = o.body ? this.body(o.body, o.bodyTypes) : {};
    const { bodyParam, ...bodyRest } = b as { bodyParam?: unknown };
    return {
      description: o.description,
      operationId: opId,
      ...(bodyParam ? {} : bodyRest),
      ...(this.dialect === 'v2' ? { consumes: (bodyRest as { consumes?: string[] }).consumes ?? ['*/*'], produces: MEDIA, schemes: ['https'] } : {}),
      ...(params.length || bodyParam ? { parameters: [...(bodyParam ? [bodyParam] : []), ...params] } : {}),
      responses: this.responses(o.codes, o.response),
      tags: [k.gvk.group ? `${k.gvk.group.replace(/\.k8s\.io$/, '')}_${k.gvk.version}` : `core_${k.gvk.version}`],
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': k.gvk,
    };
  }

  /** Path items of one resource and its status/scale subresources, keyed by path. */
  resource(def: ResourceDef, k: KindRef, scale?: KindRef): Record<string, Record<string, unknown>> {
    const prefix = `/${def.group ? `apis/${def.group}` : 'api'}/${def.version}`;
    const nsPart = def.namespaced ? '/namespaces/{namespace}' : '';
    const verbs = new Set(def.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    const id = opIdPart(def.group, def.version);
    const scope = def.namespaced ? 'Namespaced' : '';
    const kind = def.kind;
    const pathParams = (names: string[]) => [...names.map((n) => param(n, 'path', this.dialect)), param('pretty', 'query', this.dialect)];
    const out: Record<string, Record<string, unknown>> = {};
    const list = `${k.schema}List`;

    const collection: Record<string, unknown> = { parameters: pathParams(def.namespaced ? ['namespace'] : []) };
    if (verbs.has('list'))
      collection.get = this.op('list', `list${id}${scope}${kind}`, k, {
        params: LIST,
        codes: [200],
        response: list,
        description: `list or watch objects of kind ${kind}`,
      });
    if (verbs.has('create'))
      collection.post = this.op('post', `create${id}${scope}${kind}`, k, {
        params: WRITE,
        body: k.schema,
        codes: [200, 201, 202],
        response: k.schema,
        description: `create a ${kind}`,
      });
    if (verbs.has('deletecollection'))
      collection.delete = this.op('deletecollection', `delete${id}Collection${scope}${kind}`, k, {
        params: [...DELETE, ...LIST.filter((p) => p !== 'watch' && p !== 'allowWatchBookmarks')],
        body: `${META}DeleteOptions`,
        codes: [200],
        response: `${META}Status`,
        description: `delete collection of ${kind}`,
      });
    out[`${prefix}${nsPart}/${def.plural}`] = collection;
    if (def.namespaced && verbs.has('list'))
      out[`${prefix}/${def.plural}`] = {
        parameters: pathParams([]),
        get: this.op('list', `list${id}${kind}ForAllNamespaces`, k, {
          params: LIST,
          codes: [200],
          response: list,
          description: `list or watch objects of kind ${kind}`,
        }),
      };

    const item: Record<string, unknown> = { parameters: pathParams(def.namespaced ? ['name', 'namespace'] : ['name']) };
    const itemOps = (target: Record<string, unknown>, ref: KindRef, suffix: string, what: string, withDelete: boolean) => {
      if (verbs.has('get'))
        target.get = this.op('get', `read${id}${scope}${kind}${suffix}`, ref, {
          codes: [200],
          response: ref.schema,
          description: `read ${what} of the specified ${kind}`,
        });
      if (verbs.has('update'))
        target.put = this.op('put', `replace${id}${scope}${kind}${suffix}`, ref, {
          params: WRITE,
          body: ref.schema,
          codes: [200, 201],
          response: ref.schema,
          description: `replace ${what} of the specified ${kind}`,
        });
      if (verbs.has('patch'))
        target.patch = this.op('patch', `patch${id}${scope}${kind}${suffix}`, ref, {
          params: [...WRITE, 'force'],
          body: `${META}Patch`,
          bodyTypes: def.customSchema ? CUSTOM_PATCH_TYPES : PATCH_TYPES,
          codes: [200, 201],
          response: ref.schema,
          description: `partially update ${what} of the specified ${kind}`,
        });
      if (withDelete && verbs.has('delete'))
        target.delete = this.op('delete', `delete${id}${scope}${kind}`, ref, {
          params: DELETE,
          body: `${META}DeleteOptions`,
          codes: [200, 202],
          response: `${META}Status`,
          description: `delete a ${kind}`,
        });
    };
    itemOps(item, k, '', 'the', true);
    out[`${prefix}${nsPart}/${def.plural}/{name}`] = item;
    if (def.subresources?.status) {
      const status: Record<string, unknown> = { parameters: item.parameters };
      itemOps(status, k, 'Status', 'status', false);
      out[`${prefix}${nsPart}/${def.plural}/{name}/status`] = status;
    }
    if (def.subresources?.scale && scale) {
      const s: Record<string, unknown> = { parameters: item.parameters };
      itemOps(s, scale, 'Scale', 'scale', false);
      out[`${prefix}${nsPart}/${def.plural}/{name}/scale`] = s;
    }
    return out;
  }
}
