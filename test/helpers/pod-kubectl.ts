// Helpers for e2e tests that drive pods with the real kubectl against a real node
// (test/helpers/real-node.ts): apply YAML, read pods, wait with a bound, read the
// `kubectl get pod` row as printed, exec and logs.
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RealNode } from './real-node.js';
import { waitFor } from './wait.js';

export { sleep } from './wait.js';

export const BUSYBOX = 'skiff.local/busybox:1.35';

/** A main process that exits as soon as it is asked to. */
export const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';

export function podYaml(name: string, spec: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n${spec.replace(/^\n/, '')}`;
}

export async function apply(node: RealNode, yaml: string): Promise<void> {
  const r = await node.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, `kubectl apply: ${r.stderr}`);
}

export async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get pod ${name}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as Pod;
}

/** Polls `check` until it returns a value, for at most `ms`; a timeout shows the server's log. */
export function until<T>(node: RealNode, what: string, ms: number, check: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  return waitFor(what, ms, check, node.logs, everyMs);
}

export const condition = (p: Pod | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type)?.status;

export const secondsSince = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

/** `kubectl get pod NAME` as kubectl prints it: column name → value. */
export async function podRow(node: RealNode, name: string): Promise<Record<string, string>> {
  const r = await node.kubectl(['get', 'pod', name]);
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.trim().split('\n');
  const names = head!.trim().split(/\s+/);
  const cells = row!.trim().split(/\s{2,}/);
  return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
}

export async function exec(node: RealNode, pod: string, cmd: string[], container?: string): Promise<string> {
  const r = await node.kubectl(['exec', pod, ...(container ? ['-c', container] : []), '--', ...cmd]);
  assert.equal(r.code, 0, `kubectl exec ${pod} -- ${cmd.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function logs(node: RealNode, pod: string, container?: string): Promise<string> {
  const r = await node.kubectl(['logs', pod, ...(container ? ['-c', container] : [])]);
  assert.equal(r.code, 0, `kubectl logs ${pod}: ${r.stderr}`);
  return r.stdout;
}
