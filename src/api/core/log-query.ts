// PodLogOptions from a query string, validated as the apiserver does, shared by the
// apiserver's pods/log and the agent's /containerLogs.
import { parseTimeNs } from '../../util/time.js';
import { queryBool } from '../../util/query-bool.js';

export class LogQueryError extends Error {}

/** The options as the agent's log reader takes them (times in ns since the epoch). */
export interface LogQuery {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceNs?: bigint;
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '') return false;
  const b = queryBool(q, name);
  if (b === undefined) throw new LogQueryError(`${name}: Invalid value: "${v}": must be a boolean`);
  return b;
}

function int(q: URLSearchParams, name: string, min: number, rule: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogQueryError(`${name}: Invalid value: "${v}": must be an integer`);
  const n = Number(v);
  if (n < min) throw new LogQueryError(`${name}: Invalid value: ${n}: ${rule}`);
  return n;
}

/** Reads and checks the options; `nowMs` anchors sinceSeconds. */
export function parseLogQuery(q: URLSearchParams, nowMs: number): LogQuery {
  const tailLines = int(q, 'tailLines', 0, 'must be greater than or equal to 0');
  const limitBytes = int(q, 'limitBytes', 1, 'must be greater than 0');
  const sinceSeconds = int(q, 'sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = q.get('sinceTime') || undefined;
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw new LogQueryError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  let sinceNs: bigint | undefined;
  if (sinceSeconds !== undefined) sinceNs = BigInt(nowMs - sinceSeconds * 1000) * 1_000_000n;
  if (sinceTime !== undefined) {
    sinceNs = parseTimeNs(sinceTime);
    if (sinceNs === undefined) throw new LogQueryError(`sinceTime: Invalid value: "${sinceTime}": must be an RFC3339 time`);
  }
  return {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    tailLines,
    limitBytes,
    sinceNs,
  };
}
