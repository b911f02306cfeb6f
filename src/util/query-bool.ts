// The one reader of boolean query parameters (watch, force, follow, stdin, …) for the apiserver
// and the node agent: what Go's strconv.ParseBool accepts is read as it reads it, so clients that
// send "True" (the Python client) or "1" (the kubelet's own stream flags) are understood.

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: true/false for its forms, undefined for anything else. */
export function parseBool(v: string): boolean | undefined {
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}

/** A boolean query parameter; undefined if absent or not one of ParseBool's forms. */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  return v === null ? undefined : parseBool(v);
}

/**
 * A flag of an options struct (ListOptions.watch, PatchOptions.force…): apimachinery decodes those
 * leniently, so a present value that ParseBool does not read is true unless it is some casing of "false".
 */
export function queryFlag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return parseBool(v) ?? v.toLowerCase() !== 'false';
}
