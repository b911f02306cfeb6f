// Pod lifecycle e2e themes (run by ../pod-lifecycle.test.ts on one shared node): init containers in
// order, their failures, native sidecars.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { RealNode } from '../../helpers/real-node.js';
import { BUSYBOX, IDLE, podYaml, apply, getPod, until, condition, secondsSince, podRow, exec, logs } from '../../helpers/pod-kubectl.js';
import type { Theme } from './theme.js';

async function initContainersInOrder(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'init-order',
      `
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
`,
    ),
  );
  const t0 = Date.now();
  const statuses: string[] = [];
  let initializedFalse = false;
  await until(
    node,
    'init-order Running',
    40_000,
    async () => {
      const row = await podRow(node, 'init-order');
      if (statuses.at(-1) !== row.STATUS) statuses.push(row.STATUS!);
      if (row.STATUS !== 'Running') {
        if (/^Init:/.test(row.STATUS!) && condition(await getPod(node, 'init-order'), 'Initialized') === 'False') initializedFalse = true;
        return undefined;
      }
      return true;
    },
    150,
  );
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

async function sidecarContainer(t: TestContext, node: RealNode): Promise<void> {
  // A native sidecar (an init container with restartPolicy Always) starts before the main
  // container, runs beside it, and is stopped once the main container has finished.
  await apply(
    node,
    podYaml(
      'sidecar',
      `
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
`,
    ),
  );
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

export const initContainersThemes: Theme[] = [
  ['init containers run first, in order', initContainersInOrder],
  ['a failing init container: Init:Error with Never, Init:CrashLoopBackOff with Always', initContainerFailures],
  ['a native sidecar starts first and stops after main', sidecarContainer],
];
