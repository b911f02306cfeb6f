// The structural schemas of every built-in kind, by definition name, and the index from
// group/version/kind to the definition that describes it.
import './meta.js';
import './core-kinds.js';
import './apps-batch.js';
import './other-groups.js';
import './autoscaling.js';
import './certificates.js';
import './apiextensions.js';
import './authentication.js';
import './authorization.js';
import './flowcontrol.js';
import { definitions, type Gvk, type Schema } from './dsl.js';

export { definitions, type Schema } from './dsl.js';

const byGvk = new Map<string, string>();
for (const [name, s] of definitions)
  for (const g of (s['x-kubernetes-group-version-kind'] as Gvk[] | undefined) ?? []) byGvk.set(`${g.group}/${g.version}/${g.kind}`, name);

/** The definition name of a built-in kind, e.g. io.k8s.api.apps.v1.Deployment. */
export function builtinSchemaName(group: string, version: string, kind: string): string | undefined {
  return byGvk.get(`${group}/${version}/${kind}`);
}

export function builtinSchema(name: string): Schema | undefined {
  return definitions.get(name);
}
