// Server-side printing: objects and lists as meta.k8s.io Tables for `kubectl get`.
import type { KObject, ResourceDef, TableColumn } from '../api/types.js';

const DEFAULT_COLUMNS: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Created At', type: 'date', description: 'CreationTimestamp is the time the object was created.', priority: 0 },
];

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function partial(obj: KObject, version: string): KObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function rowOf(def: ResourceDef, obj: KObject, now: number, include: IncludeObject, version: string): Record<string, unknown> {
  let cells: unknown[];
  try {
    cells = def.table ? def.table.row(obj, now) : [obj.metadata?.name, obj.metadata?.creationTimestamp];
  } catch {
    // A malformed stored object must not break `kubectl get` for the whole list.
    cells = [obj.metadata?.name, ...Array((def.table?.columns.length ?? 2) - 1).fill('<error>')];
  }
  const row: Record<string, unknown> = { cells };
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = partial(obj, version);
  return row;
}

export function toTable(
  def: ResourceDef,
  body: KObject,
  isList: boolean,
  opts: { version: 'v1' | 'v1beta1'; include: IncludeObject; noHeaders?: boolean },
): KObject {
  const now = Date.now();
  const items: KObject[] = isList ? (body.items as KObject[]) : [body];
  const metadata: Record<string, unknown> = {};
  if (isList) {
    if (body.metadata?.resourceVersion) metadata.resourceVersion = body.metadata.resourceVersion;
    if (body.metadata?.continue) metadata.continue = body.metadata.continue;
    if (body.metadata?.remainingItemCount !== undefined) metadata.remainingItemCount = body.metadata.remainingItemCount;
  } else if (body.metadata?.resourceVersion) metadata.resourceVersion = body.metadata.resourceVersion;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata,
    columnDefinitions: opts.noHeaders ? [] : (def.table?.columns ?? DEFAULT_COLUMNS),
    rows: items.map((o) => rowOf(def, o, now, opts.include, opts.version)),
  };
}

export function toPartialList(_def: ResourceDef, body: KObject, version: string): KObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: body.metadata,
    items: (body.items as KObject[]).map((o) => partial(o, version)),
  };
}

export { partial as toPartial };
