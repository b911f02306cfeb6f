// Turns the neutral schemas of src/api/schemas into OpenAPI v3 components or Swagger 2.0
// definitions, in the shapes Kubernetes publishes (kubectl explain and client generators
// read these shapes, e.g. v3's allOf wrapper that lets a reference carry a description).
import { definitions, type Schema } from '../../api/schemas/index.js';

export type Dialect = 'v2' | 'v3';

const refPrefix = (dialect: Dialect) => (dialect === 'v3' ? '#/components/schemas/' : '#/definitions/');

/** The schema of a definition in one dialect; references inside point at `refPrefix`. */
export function renderSchema(s: Schema, dialect: Dialect): Record<string, unknown> {
  if (s.$ref) {
    const { $ref, ...rest } = s;
    const target = refPrefix(dialect) + $ref;
    if (!Object.keys(rest).length) return { $ref: target };
    // v3 ignores siblings of $ref; Kubernetes wraps the reference in allOf to keep them.
    if (dialect === 'v3') return { ...rest, allOf: [{ $ref: target }], ...(isObjectDef($ref) ? { default: {} } : {}) };
    return { $ref: target, ...rest };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties') {
      const props: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(v as Record<string, Schema>)) props[name] = renderSchema(p, dialect);
      out.properties = props;
    } else if (k === 'items') out.items = renderSchema(v as Schema, dialect);
    else if (k === 'additionalProperties' && typeof v === 'object') out.additionalProperties = renderSchema(v as Schema, dialect);
    else if (k === 'anyOf' && dialect === 'v2') {
      // Swagger 2.0 has no anyOf: int-or-string values are strings with a format.
      out.type = 'string';
      out.format = 'int-or-string';
    } else if (k === 'x-kubernetes-preserve-unknown-fields' && dialect === 'v2') continue;
    else out[k] = v;
  }
  return out;
}

function isObjectDef(name: string): boolean {
  const t = definitions.get(name);
  return !!t && t.type === 'object' && !!t.properties;
}

/** Every definition reachable from `roots`, roots included. */
export function closure(roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (s: Schema | boolean | undefined): void => {
    if (!s || typeof s !== 'object') return;
    if (s.$ref && !seen.has(s.$ref)) stack.push(s.$ref);
    if (s.properties) for (const p of Object.values(s.properties)) visit(p);
    visit(s.items);
    visit(s.additionalProperties);
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const s = definitions.get(name);
    if (!s) continue;
    seen.add(name);
    visit(s);
  }
  return seen;
}

/** The definitions named, rendered in a dialect, in name order (stable documents, stable hashes). */
export function renderDefinitions(names: Iterable<string>, dialect: Dialect): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...names].sort()) out[name] = renderSchema(definitions.get(name)!, dialect);
  return out;
}
