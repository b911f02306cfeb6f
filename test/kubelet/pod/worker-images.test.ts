// The pod worker's steps before a container exists: volumes (preparePod), image pulls per
// policy with their errors and back-off, pull secrets, the container config hook, and the
// termination message of a container that exited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIM_EXIT_CODE, SIM_RUN_SECONDS } from '../../../src/kubelet/runtime/types.js';
import { harness, makePod } from './lifecycle-harness.js';

const waitingOf = (s: { containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] }) => s.containerStatuses?.[0]?.state?.waiting;

test('a failed pull shows ErrImagePull, then ImagePullBackOff, and is retried after the back-off', async () => {
  const failPulls = new Map([['reg.local/app:1', 'failed to resolve reference "reg.local/app:1": not found']]);
  const h = await harness(makePod('pull', [{ name: 'c', image: 'reg.local/app:1' }]), { failPulls }, { backoff: { imageInitialMs: 2500 } });
  try {
    const err = await h.until((s) => waitingOf(s)?.reason === 'ErrImagePull');
    assert.equal(waitingOf(err)!.message, 'failed to resolve reference "reg.local/app:1": not found');
    assert.equal(err.phase, 'Pending');
    const back = await h.until((s) => waitingOf(s)?.reason === 'ImagePullBackOff', 3000);
    assert.equal(waitingOf(back)!.message, 'Back-off pulling image "reg.local/app:1": ErrImagePull: failed to resolve reference "reg.local/app:1": not found');
    assert.equal(h.rt.pulls.length, 1, 'no pull during the back-off');
    const reasons = h.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
    assert.deepEqual(reasons.slice(0, 5), [
      'Normal Pulling: Pulling image "reg.local/app:1"',
      'Warning Failed: Failed to pull image "reg.local/app:1": failed to resolve reference "reg.local/app:1": not found',
      'Warning Failed: Error: ErrImagePull',
      'Normal BackOff: Back-off pulling image "reg.local/app:1"',
      'Warning Failed: Error: ImagePullBackOff',
    ]);
    failPulls.clear();
    const running = await h.until((s) => s.phase === 'Running', 4000);
    assert.equal(running.containerStatuses![0]!.restartCount, 0);
    assert.equal(h.rt.pulls.length, 2);
  } finally {
    await h.close();
  }
});

test('pull policy Never with the image absent: ErrImageNeverPull, and no pull', async () => {
  const h = await harness(makePod('never', [{ name: 'c', image: 'absent:1', imagePullPolicy: 'Never' }]));
  try {
    const s = await h.until((s) => waitingOf(s)?.reason === 'ErrImageNeverPull');
    assert.equal(waitingOf(s)!.message, 'Container image "absent:1" is not present with pull policy of Never');
    assert.ok(h.events.some((e) => e.type === 'Warning' && e.reason === 'ErrImageNeverPull'));
    assert.equal(h.rt.pulls.length, 0);
  } finally {
    await h.close();
  }
});

test("IfNotPresent uses a present image; Always and :latest pull; only the registry's credentials are passed", async () => {
  const pod = makePod(
    'pol',
    [
      { name: 'a', image: 'present:1', imagePullPolicy: 'IfNotPresent' },
      { name: 'b', image: 'reg.local:5000/team/app' },
      { name: 'c', image: 'present:1', imagePullPolicy: 'Always' },
    ],
    { imagePullSecrets: [{ name: 'regcred' }] },
  );
  const asked: string[] = [];
  const h = await harness(
    pod,
    {},
    {
      pullSecrets: async (p) => {
        asked.push(p.spec!.imagePullSecrets![0]!.name!);
        return [
          { serverAddress: 'https://other.io/v1/', username: 'x', password: 'y' },
          { serverAddress: 'reg.local:5000', username: 'u', password: 'p' },
        ];
      },
    },
  );
  await h.rt.sim.pullImage('present:1');
  try {
    await h.until((s) => s.phase === 'Running');
    assert.deepEqual(h.rt.pulls.map((p) => p.image).sort(), ['present:1', 'reg.local:5000/team/app']);
    assert.deepEqual(h.rt.pulls.find((p) => p.image.startsWith('reg.local'))!.auth, { serverAddress: 'reg.local:5000', username: 'u', password: 'p' });
    assert.equal(h.rt.pulls.find((p) => p.image === 'present:1')!.auth, undefined);
    assert.ok(h.events.some((e) => e.message === 'Container image "present:1" already present on machine'));
    assert.ok(asked.length >= 1);
  } finally {
    await h.close();
  }
});

test('the container config hook: its fields are merged in; a throw is CreateContainerConfigError, retried', async () => {
  let missing = true;
  const h = await harness(
    makePod('cfg', [{ name: 'c', image: 'app:1', command: ['run'] }]),
    {},
    {
      containerConfig: async (_p, c, attempt) => {
        if (missing) throw new Error('configmap "settings" not found');
        return {
          envs: [{ key: 'MODE', value: 'test' }],
          workingDir: '/srv',
          annotations: { 'x/attempt': String(attempt) },
          labels: { 'io.kubernetes.container.name': 'spoofed' },
          tty: c.name === 'c',
        };
      },
    },
  );
  try {
    const s = await h.until((s) => waitingOf(s)?.reason === 'CreateContainerConfigError');
    assert.equal(waitingOf(s)!.message, 'configmap "settings" not found');
    assert.ok(h.events.some((e) => e.type === 'Warning' && e.reason === 'Failed' && e.message === 'Error: configmap "settings" not found'));
    missing = false;
    await h.until((s) => s.phase === 'Running', 4000);
    const cfg = h.rt.creates[0]!;
    assert.deepEqual(cfg.envs, [{ key: 'MODE', value: 'test' }]);
    assert.equal(cfg.workingDir, '/srv');
    assert.equal(cfg.tty, true);
    assert.deepEqual(cfg.command, ['run']);
    assert.equal(cfg.logPath, 'c/0.log');
    assert.equal(cfg.annotations!['x/attempt'], '0');
    assert.equal(cfg.labels!['io.kubernetes.container.name'], 'c', "the worker's own labels win");
  } finally {
    await h.close();
  }
});

test('preparePod failing is a FailedMount: no sandbox, ContainerCreating, retried until it works', async () => {
  let tries = 0;
  const h = await harness(
    makePod('vol', [{ name: 'c', image: 'app:1' }]),
    {},
    {
      preparePod: async () => {
        if (++tries === 1) throw new Error('MountVolume.SetUp failed for volume "data": no space left');
      },
    },
  );
  try {
    const s = await h.until((s) => waitingOf(s)?.reason === 'ContainerCreating');
    assert.equal(s.podIP, undefined);
    assert.ok(
      h.events.some((e) => e.type === 'Warning' && e.reason === 'FailedMount' && e.message === 'MountVolume.SetUp failed for volume "data": no space left'),
    );
    assert.equal((await h.rt.sim.listPodSandbox()).length, 0);
    await h.until((s) => s.phase === 'Running', 4000);
    assert.equal(tries, 2);
  } finally {
    await h.close();
  }
});

test('termination messages: the file when written; the log tail with FallbackToLogsOnError when it is empty and the container failed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-term-'));
  const log = join(dir, '0.log');
  await writeFile(
    log,
    `${[
      '2026-01-01T00:00:00.000000000Z stdout F starting',
      '2026-01-01T00:00:01.000000000Z stderr P fatal: ',
      '2026-01-01T00:00:01.000000001Z stderr F disk full',
    ].join('\n')}\n`,
  );
  const pod = makePod(
    'term',
    [
      { name: 'file', image: 'app:1' },
      { name: 'logs', image: 'app:1', terminationMessagePolicy: 'FallbackToLogsOnError' },
    ],
    { restartPolicy: 'Never' },
  );
  const h = await harness(
    pod,
    { logPaths: new Map([['logs', log]]) },
    {
      containerConfig: async () => ({ annotations: { [SIM_RUN_SECONDS]: '0.05', [SIM_EXIT_CODE]: '1' } }),
      terminationMessage: async (_p, c) => (c.name === 'file' ? 'written by the app' : ''),
    },
  );
  try {
    const s = await h.until((s) => s.phase === 'Failed');
    const byName = Object.fromEntries(s.containerStatuses!.map((c) => [c.name, c.state!.terminated!]));
    assert.equal(byName.file!.message, 'written by the app');
    assert.equal(byName.logs!.message, 'starting\nfatal: disk full\n');
    assert.equal(byName.logs!.exitCode, 1);
    assert.equal(byName.logs!.reason, 'Error');
  } finally {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});
