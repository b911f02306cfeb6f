// Label and field selector filtering of objects, shared by list and watch.
import { parseFieldSelector, parseLabelSelector, SelectorParseError } from '../../api/selectors.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';

export type ObjectFilter = (obj: KObject) => boolean;

function fieldValue(def: ResourceDef, obj: KObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata?.name;
  if (field === 'metadata.namespace') return obj.metadata?.namespace ?? '';
  const f = def.fieldSelectors?.[field];
  return f ? (f(obj) ?? '') : undefined;
}

/** Builds one predicate from ?labelSelector= and ?fieldSelector=; undefined when both are empty. */
export function buildFilter(def: ResourceDef, query: URLSearchParams): ObjectFilter | undefined {
  const ls = query.get('labelSelector') ?? '';
  const fs = query.get('fieldSelector') ?? '';
  let labels: ReturnType<typeof parseLabelSelector> | undefined;
  let fields: ReturnType<typeof parseFieldSelector> | undefined;
  try {
    if (ls.trim()) labels = parseLabelSelector(ls);
    if (fs.trim()) fields = parseFieldSelector(fs);
  } catch (err) {
    if (err instanceof SelectorParseError) throw errors.badRequest(err.message);
    throw err;
  }
  if (fields) {
    for (const r of fields.requirements) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !def.fieldSelectors?.[r.field])
        throw errors.badRequest(`field label not supported: ${r.field}`);
    }
  }
  if (labels?.empty) labels = undefined;
  if (!labels && !fields) return undefined;
  return (obj) => (!labels || labels.matches(obj.metadata?.labels)) && (!fields || fields.matches((f) => fieldValue(def, obj, f)));
}
