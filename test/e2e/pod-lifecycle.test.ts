// Pod lifecycle in real containers, driven by the real kubectl against one `skiff server`
// with its supervised containerd (the real-node helper): probes, restarts and back-off,
// init containers, shared and projected volumes, env from the API, graceful deletion and
// what it leaves on the host, OOM kills and container settings. Each theme is its own
// subtest with its own pods; they run side by side on the one node to keep the suite fast.
// Traffic stays on loopback (kubectl ↔ apiserver ↔ agent) and inside the test's own pods.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUSYBOX = 'skiff.local/busybox:1.35';
/** A main process that exits as soon as it is asked to. */
const IDLE = 'trap "exit 0" TERM; while :; do sleep 1; done';

function podYaml(name: string, spec: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n${spec.replace(/^\n/, '')}`;
}

async function apply(node: RealNode, yaml: string): Promise<void> {
  const r = await node.kubectl(['apply', '-f', '-'], { input: yaml });
  assert.equal(r.code, 0, `kubectl apply: ${r.stderr}`);
}

async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get pod ${name}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as Pod;
}

/** Polls `check` until it returns a value, for at most `ms`. */
async function until<T>(node: RealNode, what: string, ms: number, check: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 5_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}\n--- server log (tail) ---\n${node.logs().slice(-5000)}`);
}

const condition = (p: Pod | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type)?.status;
const secondsSince = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

/** `kubectl get pod NAME` as kubectl prints it: column name → value. */
async function podRow(node: RealNode, name: string): Promise<Record<string, string>> {
  const r = await node.kubectl(['get', 'pod', name]);
  assert.equal(r.code, 0, r.stderr);
  const [head, row] = r.stdout.trim().split('\n');
  const names = head!.trim().split(/\s+/);
  const cells = row!.trim().split(/\s{2,}/);
  return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
}

async function exec(node: RealNode, pod: string, cmd: string[], container?: string): Promise<string> {
  const r = await node.kubectl(['exec', pod, ...(container ? ['-c', container] : []), '--', ...cmd]);
  assert.equal(r.code, 0, `kubectl exec ${pod} -- ${cmd.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function logs(node: RealNode, pod: string, container?: string): Promise<string> {
  const r = await node.kubectl(['logs', pod, ...(container ? ['-c', container] : [])]);
  assert.equal(r.code, 0, `kubectl logs ${pod}: ${r.stderr}`);
  return r.stdout;
}

async function readinessGatesReady(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('ready-gate', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 4; touch /tmp/ready; ${IDLE}']
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
`));
  // The same through HTTP: httpd answers 404 for /ready until the file appears.
  await apply(node, podYaml('ready-http', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: skiff.local/httpd:1.35
    command: [sh, -c, 'httpd -p 8080 -h /www; sleep 4; echo ok > /www/ready; ${IDLE}']
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
`));
  const t0 = Date.now();
  const notReady = await until(node, 'ready-gate Running but not Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-gate');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(condition(notReady, 'Ready'), 'False', 'Ready stays False until the probe succeeds');
  assert.equal(condition(notReady, 'ContainersReady'), 'False');
  assert.equal(notReady.status?.containerStatuses?.[0]?.ready, false);
  assert.equal(notReady.status?.containerStatuses?.[0]?.started, true);
  assert.equal((await podRow(node, 'ready-gate')).READY, '0/1');
  const running = secondsSince(t0);
  const ready = await until(node, 'ready-gate Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-gate');
    return condition(p, 'Ready') === 'True' ? p : undefined;
  });
  assert.ok(Date.now() - t0 >= 3000, 'Ready only after the file appeared (~4 s after start)');
  assert.equal(ready.status?.containerStatuses?.[0]?.ready, true);
  assert.equal(condition(ready, 'ContainersReady'), 'True');
  assert.equal((await podRow(node, 'ready-gate')).READY, '1/1');
  t.diagnostic(`readiness: Running (0/1) after ${running} s, Ready (1/1) after ${secondsSince(t0)} s`);

  const http = await until(node, 'ready-http Ready', 30_000, async () => {
    const p = await getPod(node, 'ready-http');
    return condition(p, 'Ready') === 'True' ? p : undefined;
  });
  assert.equal(http.status?.containerStatuses?.[0]?.restartCount, 0, 'the TCP liveness probe passes');
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=ready-http,reason=Unhealthy', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  const messages = (JSON.parse(ev.stdout) as { items: { message?: string }[] }).items.map((e) => e.message);
  assert.ok(messages.some((m) => /^Readiness probe failed: HTTP probe failed with statuscode: 404/.test(m ?? '')), `a 404 readiness event: ${JSON.stringify(messages)}`);
}

async function livenessRestarts(t: TestContext, node: RealNode): Promise<void> {
  // The first run never creates /tmp/alive, so the probe fails and the container is
  // restarted; the second run (marker on the emptyDir) is healthy, so exactly one restart.
  await apply(node, podYaml('liveness', `
  terminationGracePeriodSeconds: 2
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: state, mountPath: /state}]
    command: [sh, -c, 'if [ -f /state/ran ]; then echo second run; touch /tmp/alive; else echo first run; touch /state/ran; fi; ${IDLE}']
    livenessProbe:
      exec: {command: [test, -f, /tmp/alive]}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 2
`));
  const t0 = Date.now();
  const restarted = await until(node, 'liveness restarted once and running again', 45_000, async () => {
    const p = await getPod(node, 'liveness');
    const cs = p?.status?.containerStatuses?.[0];
    return cs?.restartCount === 1 && cs.state?.running ? p : undefined;
  });
  t.diagnostic(`liveness: restarted and running again after ${secondsSince(t0)} s`);
  const cs = restarted.status!.containerStatuses![0]!;
  assert.ok(cs.lastState?.terminated, `lastState.terminated is set: ${JSON.stringify(cs.lastState)}`);
  assert.ok(cs.lastState.terminated.finishedAt, 'the previous run has a finish time');
  assert.notEqual(cs.lastState.terminated.containerID, cs.containerID, 'a new container replaced the killed one');
  await sleep(3000);
  const later = await getPod(node, 'liveness');
  assert.equal(later?.status?.containerStatuses?.[0]?.restartCount, 1, 'the healthy second run is not restarted');

  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  const events = (JSON.parse(ev.stdout) as { items: { reason?: string; message?: string; type?: string }[] }).items;
  const unhealthy = events.find((e) => e.reason === 'Unhealthy');
  assert.ok(unhealthy, `an Unhealthy event: ${JSON.stringify(events.map((e) => e.reason))}`);
  assert.equal(unhealthy.type, 'Warning');
  assert.match(unhealthy.message ?? '', /^Liveness probe failed/);
  const killing = events.find((e) => e.reason === 'Killing');
  assert.ok(killing, 'a Killing event');
  assert.match(killing.message ?? '', /failed liveness probe, will be restarted/);
  const described = await node.kubectl(['describe', 'pod', 'liveness']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /Warning\s+Unhealthy\s+.*Liveness probe failed/);
  assert.match(described.stdout, /Normal\s+Killing\s+.*failed liveness probe/);
  assert.match(described.stdout, /Restart Count:\s+1/);
  assert.match(described.stdout, /Last State:\s+Terminated/);
  assert.equal((await logs(node, 'liveness')).trim(), 'second run');
  const prev = await node.kubectl(['logs', 'liveness', '--previous']);
  assert.equal(prev.code, 0, prev.stderr);
  assert.equal(prev.stdout.trim(), 'first run');
}

async function crashLoopBacksOff(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('crasher', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: crash
    image: ${BUSYBOX}
    command: [sh, -c, 'echo crashing; exit 1']
    terminationMessagePolicy: FallbackToLogsOnError
`));
  const t0 = Date.now();
  const seen = new Map<string, { at: string; restarts: number }>();
  const waiting = await until(node, 'back-off 20s', 45_000, async () => {
    const p = await getPod(node, 'crasher');
    const cs = p?.status?.containerStatuses?.[0];
    const w = cs?.state?.waiting;
    if (w?.reason === 'CrashLoopBackOff') {
      const m = /^back-off (\d+s) restarting failed container=crash pod=crasher_default\(/.exec(w.message ?? '');
      assert.ok(m, `back-off message as the kubelet writes it: ${w.message}`);
      if (!seen.has(m[1]!)) seen.set(m[1]!, { at: secondsSince(t0), restarts: cs!.restartCount });
      if (m[1] === '20s') return p;
    }
    return undefined;
  }, 300);
  t.diagnostic(`crash loop: ${[...seen].map(([d, s]) => `back-off ${d} at ${s.at} s (restartCount ${s.restarts})`).join(', ')}`);
  assert.ok(seen.has('10s'), 'a 10 s back-off came before the 20 s one');
  assert.ok(seen.get('20s')!.restarts > seen.get('10s')!.restarts, 'restartCount grows');
  const cs = waiting.status!.containerStatuses![0]!;
  assert.equal(cs.lastState?.terminated?.exitCode, 1);
  assert.equal(cs.lastState?.terminated?.reason, 'Error');
  assert.equal((await podRow(node, 'crasher')).STATUS, 'CrashLoopBackOff');
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher,reason=BackOff', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(JSON.parse(ev.stdout).items.length > 0, 'a BackOff event');
  assert.equal(cs.lastState?.terminated?.message, 'crashing\n', 'FallbackToLogsOnError: the log tail is the message');
  assert.match(await logs(node, 'crasher'), /crashing/);
  const t1 = Date.now();
  const del = await node.kubectl(['delete', 'pod', 'crasher', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  t.diagnostic(`crash loop: a pod in back-off deleted in ${secondsSince(t1)} s`);
  assert.ok(Date.now() - t1 < 10_000, 'a pod waiting in back-off is deleted without waiting for the back-off');
}

async function initContainersInOrder(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('init-order', `
  terminationGracePeriodSeconds: 1
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: first
    image: ${BUSYBOX}
    volumeMounts: [{name: work, mountPath: /work}]
    command: [sh, -c, 'echo first >> /work/log; sleep 2']
  - name: second
    image: ${BUSYBOX}
    volumeMounts: [{name: work, mountPath: /work}]
    command: [sh, -c, 'echo second >> /work/log; sleep 2']
  containers:
  - name: main
    image: ${BUSYBOX}
    volumeMounts: [{name: work, mountPath: /work}]
    command: [sh, -c, 'echo main >> /work/log; cat /work/log; ${IDLE}']
`));
  const t0 = Date.now();
  const statuses: string[] = [];
  let initializedFalse = false;
  await until(node, 'init-order Running', 40_000, async () => {
    const row = await podRow(node, 'init-order');
    if (statuses.at(-1) !== row.STATUS) statuses.push(row.STATUS!);
    if (row.STATUS !== 'Running') {
      if (/^Init:/.test(row.STATUS!) && condition(await getPod(node, 'init-order'), 'Initialized') === 'False') initializedFalse = true;
      return undefined;
    }
    return true;
  }, 150);
  t.diagnostic(`init containers: STATUS went ${statuses.join(' → ')} in ${secondsSince(t0)} s`);
  assert.ok(statuses.includes('Init:0/2'), `Init:0/2 seen: ${statuses.join(', ')}`);
  assert.ok(statuses.includes('Init:1/2'), `Init:1/2 seen: ${statuses.join(', ')}`);
  assert.ok(statuses.indexOf('Init:0/2') < statuses.indexOf('Init:1/2'));
  assert.ok(initializedFalse, 'Initialized was False while init containers ran');
  const pod = await getPod(node, 'init-order');
  assert.equal(condition(pod, 'Initialized'), 'True');
  for (const s of pod!.status!.initContainerStatuses!) {
    assert.equal(s.state?.terminated?.reason, 'Completed', `${s.name} completed`);
    assert.equal(s.state?.terminated?.exitCode, 0);
  }
  const first = pod!.status!.initContainerStatuses!.find((s) => s.name === 'first')!.state!.terminated!;
  const second = pod!.status!.initContainerStatuses!.find((s) => s.name === 'second')!.state!.terminated!;
  assert.ok(Date.parse(second.startedAt!) >= Date.parse(first.finishedAt!), 'second started after first finished');
  const out = await until(node, 'main printed the log', 10_000, async () => {
    const l = await logs(node, 'init-order', 'main');
    return l.includes('main') ? l : undefined;
  });
  assert.equal(out.trim(), 'first\nsecond\nmain');
  assert.equal((await exec(node, 'init-order', ['cat', '/work/log'])).trim(), 'first\nsecond\nmain');
  assert.equal((await logs(node, 'init-order', 'first')).trim(), '', 'an init container has its own log');
}

async function sharedEmptyDir(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('shared', `
  terminationGracePeriodSeconds: 1
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: writer
    image: ${BUSYBOX}
    volumeMounts: [{name: shared, mountPath: /out}]
    command: [sh, -c, 'echo "hello from $(hostname)" > /out/msg; ${IDLE}']
  - name: reader
    image: ${BUSYBOX}
    volumeMounts: [{name: shared, mountPath: /in, readOnly: true}]
    command: [sh, -c, 'i=0; until [ -f /in/msg ] || [ $i -ge 100 ]; do sleep 0.2; i=$((i+1)); done; cat /in/msg; ${IDLE}']
`));
  const t0 = Date.now();
  const out = await until(node, 'the reader printed the message', 40_000, async () => {
    const p = await getPod(node, 'shared');
    if (p?.status?.phase !== 'Running') return undefined;
    const l = await logs(node, 'shared', 'reader');
    return l.trim() ? l : undefined;
  });
  t.diagnostic(`emptyDir: the reader saw the writer's file ${secondsSince(t0)} s after apply`);
  assert.equal(out.trim(), 'hello from shared');
  const w = await node.kubectl(['exec', 'shared', '-c', 'reader', '--', 'sh', '-c', 'echo x > /in/other']);
  assert.notEqual(w.code, 0, 'a readOnly mount refuses writes');
  assert.match(w.stderr, /Read-only file system/);
  await exec(node, 'shared', ['sh', '-c', 'echo second > /out/later'], 'writer');
  assert.equal((await exec(node, 'shared', ['cat', '/in/later'], 'reader')).trim(), 'second');
}

async function configMapAndSecretVolumes(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, `
apiVersion: v1
kind: ConfigMap
metadata: {name: vol-cm}
data: {colour: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: vol-secret}
stringData: {user: admin, password: hunter2}
---
${podYaml('cm-secret', `
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: cm, configMap: {name: vol-cm}}
  - {name: sec, secret: {secretName: vol-secret, defaultMode: 0400}}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
  containers:
  - name: app
    image: ${BUSYBOX}
    resources: {limits: {memory: 32Mi}}
    volumeMounts: [{name: cm, mountPath: /etc/cm}, {name: sec, mountPath: /etc/sec}, {name: info, mountPath: /etc/info}]
    command: [sh, -c, '${IDLE}']
`)}`);
  await until(node, 'cm-secret Running', 40_000, async () => ((await getPod(node, 'cm-secret'))?.status?.phase === 'Running' ? true : undefined));
  assert.deepEqual((await exec(node, 'cm-secret', ['ls', '/etc/cm'])).trim().split('\n'), ['colour', 'size']);
  assert.deepEqual((await exec(node, 'cm-secret', ['ls', '/etc/sec'])).trim().split('\n'), ['password', 'user']);
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/cm/colour']), 'blue');
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/sec/password']), 'hunter2');
  assert.match(await exec(node, 'cm-secret', ['ls', '-lL', '/etc/sec/user']), /^-r-------- /);
  assert.match(await exec(node, 'cm-secret', ['sh', '-c', 'echo x > /etc/cm/colour 2>&1 || echo refused']), /refused/);

  const patched = await node.kubectl(['patch', 'configmap', 'vol-cm', '--type', 'merge', '-p', '{"data":{"colour":"green","shape":"round"}}']);
  assert.equal(patched.code, 0, patched.stderr);
  const t0 = Date.now();
  await until(node, 'the ConfigMap change inside the container', 60_000, async () => {
    const v = await exec(node, 'cm-secret', ['sh', '-c', 'cat /etc/cm/colour; echo; cat /etc/cm/shape 2>/dev/null']);
    return v === 'green\nround' ? true : undefined;
  }, 500);
  t.diagnostic(`configMap volume: the change showed up in the container after ${secondsSince(t0)} s`);
  const secretPatched = await node.kubectl(['patch', 'secret', 'vol-secret', '--type', 'merge', '-p', '{"stringData":{"password":"changed"}}']);
  assert.equal(secretPatched.code, 0, secretPatched.stderr);
  const t1 = Date.now();
  await until(node, 'the Secret change inside the container', 60_000, async () =>
    ((await exec(node, 'cm-secret', ['cat', '/etc/sec/password'])) === 'changed' ? true : undefined), 500);
  t.diagnostic(`secret volume: the change showed up in the container after ${secondsSince(t1)} s`);

  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/info/mem']), '32');
  assert.equal(await exec(node, 'cm-secret', ['cat', '/etc/info/labels']), '');
  const labelled = await node.kubectl(['label', 'pod', 'cm-secret', 'tier=backend']);
  assert.equal(labelled.code, 0, labelled.stderr);
  const t2 = Date.now();
  await until(node, 'the new label in the downwardAPI volume', 60_000, async () =>
    ((await exec(node, 'cm-secret', ['cat', '/etc/info/labels'])) === 'tier="backend"' ? true : undefined), 500);
  t.diagnostic(`downwardAPI volume: a new label showed up in the container after ${secondsSince(t2)} s`);
}

async function envFromApi(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, `
apiVersion: v1
kind: ConfigMap
metadata: {name: env-cm}
data: {COLOUR: blue, SIZE: large}
---
apiVersion: v1
kind: Secret
metadata: {name: env-secret}
stringData: {password: s3cret}
---
${podYaml('env-pod', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'env | sort; ${IDLE}']
    envFrom: [{configMapRef: {name: env-cm}}, {prefix: S_, secretRef: {name: env-secret}}]
    env:
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: env-secret, key: password}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: GREETING, value: 'hello $(POD_NAME) in $(COLOUR)'}
    resources: {limits: {memory: 64Mi}}
`)}`);
  const t0 = Date.now();
  const pod = await until(node, 'env-pod Running', 40_000, async () => {
    const p = await getPod(node, 'env-pod');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  t.diagnostic(`env: pod Running after ${secondsSince(t0)} s`);
  const env = Object.fromEntries((await exec(node, 'env-pod', ['env'])).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.PASSWORD, 's3cret');
  assert.equal(env.S_password, 's3cret');
  assert.equal(env.COLOUR, 'blue');
  assert.equal(env.SIZE, 'large');
  assert.equal(env.POD_NAME, 'env-pod');
  assert.ok(pod.status?.podIP?.startsWith(node.podNet), `pod IP ${pod.status?.podIP} in the node's CIDR`);
  assert.equal(env.POD_IP, pod.status!.podIP);
  assert.equal(env.MEM_LIMIT, '64');
  assert.equal(env.GREETING, 'hello env-pod in blue');
  assert.match(await logs(node, 'env-pod'), /^PASSWORD=s3cret$/m);
}

/** Host mounts that name the pod's uid (its volumes) or its sandbox (containerd's shm). */
function mountsOf(uid: string, sandboxIds: string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(uid) || sandboxIds.some((id) => l.includes(id)));
}
function linkByIndex(index: number): string | undefined {
  const r = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return r.stdout.split('\n').find((l) => l.startsWith(`${index}: `));
}

async function deletionCleansUp(t: TestContext, node: RealNode): Promise<void> {
  // One pod that stops on TERM quickly, one that ignores TERM and must be killed at the
  // end of its grace period.
  await apply(node, `${podYaml('graceful', `
  terminationGracePeriodSeconds: 10
  volumes: [{name: scratch, emptyDir: {medium: Memory}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; while :; do sleep 1; done']
`)}
---
${podYaml('stubborn', `
  terminationGracePeriodSeconds: 3
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']
`)}`);
  const running = await until(node, 'graceful and stubborn Running', 40_000, async () => {
    const ps = [await getPod(node, 'graceful'), await getPod(node, 'stubborn')];
    return ps.every((p) => p?.status?.phase === 'Running') ? (ps as Pod[]) : undefined;
  });
  const traces = new Map<string, { pod: Pod; iflink: number; sandboxes: string[] }>();
  const cri = await node.cri();
  try {
    for (const p of running) {
      const name = p.metadata!.name!;
      const uid = p.metadata!.uid!;
      // The pod's eth0 names the ifindex of its host-side veth peer.
      const iflink = Number((await exec(node, name, ['cat', '/sys/class/net/eth0/iflink'])).trim());
      assert.match(linkByIndex(iflink) ?? '', new RegExp(`master ${node.bridge} `), `${name}'s veth is on the bridge`);
      assert.ok(existsSync(join(node.ipamDir, p.status!.podIP!)), `an IP lease for ${p.status!.podIP}`);
      const netns = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - nsfs /.test(l) && l.includes(node.dataDir));
      assert.ok(netns.length > 0, 'pod network namespaces are mounted under the data dir, not the host-wide /run/netns');
      const sandboxes = (await cri.listPodSandbox()).filter((s) => s.metadata?.uid === uid).map((s) => s.id);
      assert.equal(sandboxes.length, 1, `one sandbox for ${name}`);
      assert.ok(mountsOf(uid, sandboxes).length > 0, `${name} has host mounts`);
      traces.set(name, { pod: p, iflink, sandboxes });
    }
  } finally {
    await cri.close();
  }
  assert.ok(mountsOf(traces.get('graceful')!.pod.metadata!.uid!, []).length > 0, 'the memory-backed emptyDir is a host mount naming the pod uid');

  const timeDelete = async (name: string) => {
    const t0 = Date.now();
    const r = await node.kubectl(['delete', 'pod', name, '--wait=true', '--timeout=40s'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    return (Date.now() - t0) / 1000;
  };
  const [graceful, stubborn] = await Promise.all([timeDelete('graceful'), timeDelete('stubborn')]);
  t.diagnostic(`delete: graceful (traps TERM, grace 10 s) gone in ${graceful.toFixed(1)} s; stubborn (ignores TERM, grace 3 s) gone in ${stubborn.toFixed(1)} s`);
  assert.ok(graceful < 8, `a container that exits on TERM stops well within its grace period (${graceful} s)`);
  assert.ok(stubborn >= 2.5, `a container that ignores TERM is given its grace period (${stubborn} s)`);
  assert.ok(stubborn < 10, `…and is killed when it ends (${stubborn} s)`);

  const after = await node.cri();
  try {
    for (const [name, tr] of traces) {
      const uid = tr.pod.metadata!.uid!;
      await until(node, `no sandbox of ${name} in containerd`, 15_000, async () =>
        (await after.listPodSandbox()).some((s) => s.metadata?.uid === uid) ? undefined : true);
      assert.equal(linkByIndex(tr.iflink), undefined, `${name}'s veth is gone`);
      assert.equal(existsSync(join(node.ipamDir, tr.pod.status!.podIP!)), false, `${name}'s IP lease is released`);
      assert.deepEqual(mountsOf(uid, tr.sandboxes), [], `no mount of ${name} is left`);
      assert.equal(existsSync(join(node.dataDir, 'agent', 'pods', uid)), false, `${name}'s pod directory is removed`);
    }
  } finally {
    await after.close();
  }
}

async function oomKilled(t: TestContext, node: RealNode): Promise<void> {
  // busybox `tail` keeps a line that never ends in memory; /dev/zero has no newline.
  await apply(node, podYaml('oom', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: ${BUSYBOX}
    command: [sh, -c, 'echo start; tail /dev/zero']
    resources: {limits: {memory: 16Mi}}
`));
  const t0 = Date.now();
  const pod = await until(node, 'the oom pod terminated', 40_000, async () => {
    const p = await getPod(node, 'oom');
    return p?.status?.containerStatuses?.[0]?.state?.terminated ? p : undefined;
  });
  t.diagnostic(`OOM: the container terminated ${secondsSince(t0)} s after apply`);
  const term = pod.status!.containerStatuses![0]!.state!.terminated!;
  assert.equal(term.reason, 'OOMKilled', JSON.stringify(term));
  assert.equal(term.exitCode, 137);
  assert.equal(pod.status?.phase, 'Failed');
  assert.equal((await podRow(node, 'oom')).STATUS, 'OOMKilled');
}

async function containerSettings(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('settings', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c]
    args: ['echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) args=$0,$1"; touch /etc/probe 2>/dev/null && echo rootfs=writable || echo rootfs=readonly; touch /tmp/x 2>/dev/null && echo tmp=writable || echo tmp=readonly; echo bye > /dev/termination-log', one, two]
    workingDir: /usr
    securityContext: {runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
`));
  const t0 = Date.now();
  const pod = await until(node, 'settings finished', 40_000, async () => {
    const p = await getPod(node, 'settings');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`container settings: pod finished ${secondsSince(t0)} s after apply`);
  const out = await logs(node, 'settings');
  assert.equal(pod.status?.phase, 'Succeeded', out);
  assert.equal(out.trim(), 'uid=1000 gid=3000 cwd=/usr args=one,two\nrootfs=readonly\ntmp=readonly');
  const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
  assert.equal(term?.reason, 'Completed');
  assert.equal(term?.message, 'bye\n', 'a non-root container can write its termination message');
}

async function resourcesAndPrivileges(t: TestContext, node: RealNode): Promise<void> {
  // cgroup v1 and v2 name the limits differently; the script prints whichever exists.
  const script = [
    'cg=/sys/fs/cgroup',
    'if [ -f $cg/memory/memory.limit_in_bytes ]; then echo mem=$(cat $cg/memory/memory.limit_in_bytes); echo cpu=$(cat $cg/cpu/cpu.cfs_quota_us)/$(cat $cg/cpu/cpu.cfs_period_us); echo shares=$(cat $cg/cpu/cpu.shares);',
    'else echo mem=$(cat $cg/memory.max); echo cpu=$(cat $cg/cpu.max | tr " " /); echo shares=unknown; fi',
    'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | tr -d "\t"',
    'echo groups=$(id -G)',
    'echo data=$(stat -c %g /data)',
    'touch /data/f && echo file=$(stat -c %u:%g /data/f)',
  ].join('\n');
  await apply(node, podYaml('limits', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [4000]}
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, ${JSON.stringify(script)}]
    volumeMounts: [{name: data, mountPath: /data}]
    resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`));
  const t0 = Date.now();
  const pod = await until(node, 'limits finished', 40_000, async () => {
    const p = await getPod(node, 'limits');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`resources: pod finished ${secondsSince(t0)} s after apply`);
  const out = await logs(node, 'limits');
  assert.equal(pod.status?.phase, 'Succeeded', out);
  assert.equal(pod.status?.qosClass, 'Burstable');
  const got: Record<string, string> = Object.fromEntries(out.trim().split('\n').map((l) => {
    const i = l.search(/[=:]/);
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  assert.match(got.mem!, /^(67108864)$/, out);
  assert.match(got.cpu!, /^(50000\/100000)$/, out);
  if (got.shares !== 'unknown') assert.equal(got.shares, '256', out);
  assert.equal(got.CapEff, '0000000000000000', `capabilities dropped: ${out}`);
  assert.equal(got.NoNewPrivs, '1', `allowPrivilegeEscalation: false sets no_new_privs: ${out}`);
  assert.deepEqual(got.groups!.split(' ').sort(), ['0', '2000', '4000'].sort(), `fsGroup and supplementalGroups: ${out}`);
  assert.equal(got.data, '2000', `the emptyDir belongs to the fsGroup: ${out}`);
  assert.equal(got.file, '1000:2000', `new files get the fsGroup (setgid dir): ${out}`);
}

async function hooksAndStartupProbe(t: TestContext, node: RealNode): Promise<void> {
  // The liveness probe would fail at once (failureThreshold 1) if it ran before the startup
  // probe succeeded; the preStop hook delays deletion by ~2 s although the container stops on TERM.
  await apply(node, podYaml('hooks', `
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 3; touch /tmp/started; ${IDLE}']
    lifecycle:
      postStart: {exec: {command: [sh, -c, 'echo hook ran > /tmp/poststart']}}
      preStop: {exec: {command: [sleep, '2']}}
    startupProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 15
    livenessProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 1
`));
  const t0 = Date.now();
  const early = await until(node, 'hooks Running', 30_000, async () => {
    const p = await getPod(node, 'hooks');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(early.status?.containerStatuses?.[0]?.started, false, 'not started before the startup probe succeeds');
  assert.equal(await exec(node, 'hooks', ['cat', '/tmp/poststart']), 'hook ran\n', 'postStart ran before Running');
  const started = await until(node, 'hooks started and Ready', 30_000, async () => {
    const p = await getPod(node, 'hooks');
    return p?.status?.containerStatuses?.[0]?.started && condition(p, 'Ready') === 'True' ? p : undefined;
  });
  t.diagnostic(`startup probe: started and Ready after ${secondsSince(t0)} s`);
  assert.equal(started.status?.containerStatuses?.[0]?.restartCount, 0, 'liveness did not run before startup succeeded');
  const t1 = Date.now();
  const del = await node.kubectl(['delete', 'pod', 'hooks', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  const took = (Date.now() - t1) / 1000;
  t.diagnostic(`preStop: the pod with a 2 s preStop hook was deleted in ${took.toFixed(1)} s`);
  assert.ok(took >= 1.8 && took < 9, `deletion waited for preStop, then TERM stopped the container (${took} s)`);
}

async function podNetworkSettings(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, `${podYaml('dns-pod', `
  terminationGracePeriodSeconds: 1
  hostname: web-0
  subdomain: web
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`)}
---
${podYaml('host-net', `
  terminationGracePeriodSeconds: 1
  hostNetwork: true
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`)}`);
  const t0 = Date.now();
  const [dnsPod, hostNet] = await until(node, 'dns-pod and host-net Running', 30_000, async () => {
    const ps = [await getPod(node, 'dns-pod'), await getPod(node, 'host-net')];
    return ps.every((p) => p?.status?.phase === 'Running') ? (ps as Pod[]) : undefined;
  });
  t.diagnostic(`network settings: both pods Running after ${secondsSince(t0)} s`);
  const resolv = await exec(node, 'dns-pod', ['cat', '/etc/resolv.conf']);
  const dnsIP = node.clusterCidr.replace(/^(\d+\.\d+)\..*$/, '$1.128.10');
  assert.match(resolv, new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'), resolv);
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m, resolv);
  assert.match(resolv, /^options ndots:5$/m, resolv);
  assert.equal((await exec(node, 'dns-pod', ['hostname'])).trim(), 'web-0');
  const hosts = await exec(node, 'dns-pod', ['cat', '/etc/hosts']);
  assert.match(hosts, new RegExp(`^${dnsPod.status!.podIP!.replace(/\./g, '\\.')}\\s+web-0\\.web\\.default\\.svc\\.cluster\\.local\\s+web-0$`, 'm'), hosts);

  assert.equal(hostNet.status?.podIP, hostNet.status?.hostIP, 'a hostNetwork pod has the node IP');
  const hostName = spawnSync('hostname', { encoding: 'utf8' }).stdout.trim();
  assert.equal((await exec(node, 'host-net', ['hostname'])).trim(), hostName, 'a hostNetwork pod has the node hostname');
  const myLinks = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean).sort();
  const podLinks = (await exec(node, 'host-net', ['ls', '/sys/class/net'])).trim().split(/\s+/).sort();
  assert.ok(podLinks.includes(node.bridge), `the host's interfaces are visible in a hostNetwork pod (${podLinks.length} vs ${myLinks.length})`);
}

async function activeDeadline(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('deadline', `
  activeDeadlineSeconds: 4
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`));
  const t0 = Date.now();
  const failed = await until(node, 'deadline Failed', 30_000, async () => {
    const p = await getPod(node, 'deadline');
    return p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`activeDeadlineSeconds 4: the pod Failed after ${secondsSince(t0)} s`);
  assert.equal(failed.status?.reason, 'DeadlineExceeded');
  assert.match(failed.status?.message ?? '', /active on the node longer than the specified deadline/);
  assert.ok(failed.status?.containerStatuses?.[0]?.state?.terminated, 'its container was stopped');
  assert.ok(Date.now() - t0 >= 3500);
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=deadline,reason=DeadlineExceeded', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).items.length, 1, 'a DeadlineExceeded event');
}

async function sidecarContainer(t: TestContext, node: RealNode): Promise<void> {
  // A native sidecar (an init container with restartPolicy Always) starts before the main
  // container, runs beside it, and is stopped once the main container has finished.
  await apply(node, podYaml('sidecar', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: helper
    image: ${BUSYBOX}
    restartPolicy: Always
    volumeMounts: [{name: work, mountPath: /work}]
    command: [sh, -c, 'echo helper-up > /work/helper; ${IDLE}']
  containers:
  - name: main
    image: ${BUSYBOX}
    volumeMounts: [{name: work, mountPath: /work}]
    command: [sh, -c, 'cat /work/helper; sleep 2; echo main-done']
`));
  const t0 = Date.now();
  const done = await until(node, 'sidecar Succeeded', 40_000, async () => {
    const p = await getPod(node, 'sidecar');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`sidecar: the pod finished ${secondsSince(t0)} s after apply`);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal((await logs(node, 'sidecar', 'main')).trim(), 'helper-up\nmain-done', 'the sidecar ran before main started');
  const helper = done.status?.initContainerStatuses?.[0];
  assert.ok(helper?.state?.terminated, `the sidecar was stopped after main finished: ${JSON.stringify(helper?.state)}`);
}

async function persistentVolumeClaim(t: TestContext, node: RealNode): Promise<void> {
  const writer = (name: string, cmd: string) => podYaml(name, `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, persistentVolumeClaim: {claimName: pod-data}}]
  containers:
  - {name: app, image: ${BUSYBOX}, volumeMounts: [{name: data, mountPath: /data}], command: [sh, -c, '${cmd}']}
`);
  await apply(node, `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pod-data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
---
${writer('pvc-writer', 'echo kept > /data/note; echo written')}`);
  const t0 = Date.now();
  const first = await until(node, 'pvc-writer finished', 40_000, async () => {
    const p = await getPod(node, 'pvc-writer');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`PVC: the first pod finished ${secondsSince(t0)} s after apply`);
  assert.equal(first.status?.phase, 'Succeeded', await logs(node, 'pvc-writer'));
  const pvc = JSON.parse((await node.kubectl(['get', 'pvc', 'pod-data', '-o', 'json'])).stdout);
  assert.equal(pvc.status?.phase, 'Bound');
  const del = await node.kubectl(['delete', 'pod', 'pvc-writer', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(del.code, 0, del.stderr);
  await apply(node, writer('pvc-reader', 'cat /data/note'));
  const second = await until(node, 'pvc-reader finished', 40_000, async () => {
    const p = await getPod(node, 'pvc-reader');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.equal(second.status?.phase, 'Succeeded');
  assert.equal((await logs(node, 'pvc-reader')).trim(), 'kept', 'the data outlived the pod that wrote it');
}

async function forceDeleteCleansUp(t: TestContext, node: RealNode): Promise<void> {
  // --force --grace-period=0 removes the pod from the API at once; the node agent must still
  // stop its containers and remove its sandbox.
  await apply(node, podYaml('forced', `
  terminationGracePeriodSeconds: 30
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, 'trap "" TERM; while :; do sleep 1; done']}
`));
  const pod = await until(node, 'forced Running', 30_000, async () => {
    const p = await getPod(node, 'forced');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const uid = pod.metadata!.uid!;
  const r = await node.kubectl(['delete', 'pod', 'forced', '--force', '--grace-period=0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await getPod(node, 'forced'), undefined, 'gone from the API at once');
  const t0 = Date.now();
  const cri = await node.cri();
  try {
    await until(node, 'the force-deleted pod\'s sandbox removed', 40_000, async () =>
      (await cri.listPodSandbox()).some((s) => s.metadata?.uid === uid) ? undefined : true);
  } finally {
    await cri.close();
  }
  t.diagnostic(`force delete: the sandbox was removed ${secondsSince(t0)} s after the pod left the API`);
  assert.ok(!existsSync(join(node.ipamDir, pod.status!.podIP!)), 'its IP lease is released');
}

async function oomRestarts(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('oom-again', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: ${BUSYBOX}
    command: [sh, -c, 'tail /dev/zero']
    resources: {limits: {memory: 16Mi}}
`));
  const t0 = Date.now();
  const p = await until(node, 'oom-again restarted after an OOM kill', 40_000, async () => {
    const x = await getPod(node, 'oom-again');
    return x?.status?.containerStatuses?.[0]?.lastState?.terminated ? x : undefined;
  });
  t.diagnostic(`OOM with restartPolicy Always: lastState set after ${secondsSince(t0)} s`);
  const cs = p.status!.containerStatuses![0]!;
  assert.equal(cs.lastState?.terminated?.reason, 'OOMKilled');
  assert.ok(cs.restartCount >= 1);
  const described = await node.kubectl(['describe', 'pod', 'oom-again']);
  assert.match(described.stdout, /Last State:\s+Terminated\s+Reason:\s+OOMKilled/);
}

async function onFailureAndJob(t: TestContext, node: RealNode): Promise<void> {
  // OnFailure: the failed first run is restarted, the successful second one ends the pod.
  await apply(node, podYaml('on-failure', `
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  volumes: [{name: state, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    volumeMounts: [{name: state, mountPath: /state}]
    command: [sh, -c, 'if [ -f /state/x ]; then echo second; exit 0; fi; touch /state/x; echo first; exit 1']
`));
  const t0 = Date.now();
  const w = await node.kubectl(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/on-failure', '--timeout=40s'], { timeoutMs: 50_000 });
  assert.equal(w.code, 0, `kubectl wait: ${w.stderr}`);
  t.diagnostic(`OnFailure: Succeeded after one restart, ${secondsSince(t0)} s after apply`);
  const p = await getPod(node, 'on-failure');
  assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 1);
  assert.equal(p?.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.equal(p?.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);

  const created = await node.kubectl(['create', 'job', 'hello', `--image=${BUSYBOX}`, '--', 'sh', '-c', 'echo hello from a job']);
  assert.equal(created.code, 0, created.stderr);
  const t1 = Date.now();
  const done = await node.kubectl(['wait', '--for=condition=complete', 'job/hello', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.equal(done.code, 0, `kubectl wait job: ${done.stderr}`);
  t.diagnostic(`Job: complete ${secondsSince(t1)} s after kubectl create job`);
  const l = await node.kubectl(['logs', 'job/hello']);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout.trim(), 'hello from a job');
}

async function initContainerFailures(t: TestContext, node: RealNode): Promise<void> {
  const spec = (policy: string) => `
  restartPolicy: ${policy}
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: setup
    image: ${BUSYBOX}
    command: [sh, -c, 'echo setup failed; exit 3']
  containers:
  - name: main
    image: ${BUSYBOX}
    command: [sh, -c, 'echo must not run']
`;
  await apply(node, `${podYaml('init-fails', spec('Never'))}\n---\n${podYaml('init-loops', spec('Always'))}`);
  const t0 = Date.now();
  const failed = await until(node, 'init-fails Failed', 30_000, async () => {
    const p = await getPod(node, 'init-fails');
    return p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`init failures: init-fails Failed after ${secondsSince(t0)} s`);
  assert.equal(failed.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  assert.equal(condition(failed, 'Initialized'), 'False');
  assert.equal(failed.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.equal((await podRow(node, 'init-fails')).STATUS, 'Init:Error');
  const looping = await until(node, 'init-loops in Init:CrashLoopBackOff', 30_000, async () => {
    const row = await podRow(node, 'init-loops');
    return row.STATUS === 'Init:CrashLoopBackOff' ? row : undefined;
  });
  t.diagnostic(`init failures: init-loops Init:CrashLoopBackOff after ${secondsSince(t0)} s (restarts ${looping.RESTARTS})`);
  const p = await getPod(node, 'init-loops');
  assert.equal(p?.status?.phase, 'Pending');
  assert.ok((p?.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 1);
  assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 0);
  assert.equal((await logs(node, 'init-fails', 'setup')).trim(), 'setup failed');
}

async function missingSecretHoldsContainer(t: TestContext, node: RealNode): Promise<void> {
  await apply(node, podYaml('late-secret', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, 'echo "token=$TOKEN"; ${IDLE}']
    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: late, key: token}}}]
`));
  const waiting = await until(node, 'late-secret in CreateContainerConfigError', 30_000, async () => {
    const p = await getPod(node, 'late-secret');
    const w = p?.status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === 'CreateContainerConfigError' ? w : undefined;
  });
  assert.equal(waiting.message, 'secret "late" not found');
  assert.equal((await podRow(node, 'late-secret')).STATUS, 'CreateContainerConfigError');
  await apply(node, 'apiVersion: v1\nkind: Secret\nmetadata: {name: late}\nstringData: {token: abc123}\n');
  const t0 = Date.now();
  await until(node, 'late-secret Running once the Secret exists', 40_000, async () =>
    ((await getPod(node, 'late-secret'))?.status?.phase === 'Running' ? true : undefined));
  t.diagnostic(`missing Secret: the container started ${secondsSince(t0)} s after the Secret was created`);
  const out = await until(node, 'the token in the log', 10_000, async () => {
    const l = await logs(node, 'late-secret');
    return l.trim() ? l : undefined;
  });
  assert.equal(out.trim(), 'token=abc123');
}

test('pod lifecycle in real containers through the real kubectl', { timeout: 300_000, concurrency: true }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  try {
    const themes: [string, (t: TestContext, n: RealNode) => Promise<void>][] = [
      ['a readiness probe gates Ready', readinessGatesReady],
      ['a failing liveness probe restarts the container', livenessRestarts],
      ['a container that exits 1 goes CrashLoopBackOff with growing back-off', crashLoopBacksOff],
      ['init containers run first, in order', initContainersInOrder],
      ['an emptyDir shared by two containers', sharedEmptyDir],
      ['configMap and secret volumes, and a ConfigMap change reaches the container', configMapAndSecretVolumes],
      ['env from a Secret, a ConfigMap and the downward API', envFromApi],
      ['deleting pods: grace period honoured, nothing left on the host', deletionCleansUp],
      ['a container over its memory limit is OOMKilled', oomKilled],
      ['command, args, workingDir, runAsUser and a read-only root filesystem', containerSettings],
      ['resources become cgroup limits; capabilities, no_new_privs, fsGroup', resourcesAndPrivileges],
      ['postStart and preStop hooks, a startup probe gates liveness', hooksAndStartupProbe],
      ['DNS settings, hostname/subdomain, hostNetwork', podNetworkSettings],
      ['activeDeadlineSeconds fails the pod', activeDeadline],
      ['a native sidecar starts first and stops after main', sidecarContainer],
      ['a PersistentVolumeClaim keeps data across pods', persistentVolumeClaim],
      ['a force-deleted pod is still cleaned up on the node', forceDeleteCleansUp],
      ['an OOM kill with restartPolicy Always shows in lastState', oomRestarts],
      ['restartPolicy OnFailure, kubectl wait, and a Job to completion', onFailureAndJob],
      ['a failing init container: Init:Error with Never, Init:CrashLoopBackOff with Always', initContainerFailures],
      ['a missing Secret holds the container in CreateContainerConfigError until it exists', missingSecretHoldsContainer],
    ];
    // PODLIFE_ONLY=regexp runs just the matching themes (when chasing one failure).
    const only = process.env.PODLIFE_ONLY;
    const chosen = themes.filter(([name]) => !only || new RegExp(only).test(name));
    await Promise.all(chosen.map(([name, fn]) => t.test(name, { timeout: 120_000 }, (st) => fn(st, node))));
  } finally {
    await node.cleanup();
  }
});
