// ContainerSetup end to end against an in-process apiserver (memory store) read through
// apiSources: volumes and /etc/hosts prepared, a container's config with env from a
// ConfigMap, Secret and Service, its mounts, the failure reasons, and cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../../../src/api/builtin.js';
import { ApiServer } from '../../../src/apiserver/apiserver.js';
import { Client } from '../../../src/client/client.js';
import { MemoryStore } from '../../../src/storage/memory.js';
import { apiSources } from '../../../src/kubelet/container/api-sources.js';
import { ContainerSetup, ContainerSetupError } from '../../../src/kubelet/container/setup.js';
import { PodDirs } from '../../../src/kubelet/container/pod-dirs.js';

async function startApi(): Promise<{ client: Client; stop(): Promise<void> }> {
  const api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
  return { client: new Client(api.transport()), stop: () => api.stop() };
}

test('ContainerSetup: pod prepared, container config from API objects, failure reasons, cleanup', async (t) => {
  const api = await startApi();
  const root = await mkdtemp(path.join(os.tmpdir(), 'skiff-setup-'));
  t.after(async () => {
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });
  const { client } = api;
  await client.namespaces.create({ metadata: { name: 'app' } });
  // The apiserver keeps this Service only once it serves HTTPS; here it is made by hand.
  await client.services.create({ metadata: { name: 'kubernetes', namespace: 'default' }, spec: { ports: [{ name: 'https', port: 443 }] } });
  await client.services.create({ metadata: { name: 'elsewhere', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
  await client.configMaps.create({ metadata: { name: 'cfg', namespace: 'app' }, data: { MODE: 'fast', 'app.conf': 'a=1' } });
  await client.secrets.create({ metadata: { name: 'db', namespace: 'app' }, data: { password: Buffer.from('pw').toString('base64') } });
  await client.services.create({ metadata: { name: 'backend', namespace: 'app' }, spec: { ports: [{ port: 8080 }], selector: { app: 'b' } } });
  const pod = (await client.pods.create({
    metadata: { name: 'web', namespace: 'app' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: ['sh', '-c', 'echo $(MODE)'],
          envFrom: [{ configMapRef: { name: 'cfg' } }],
          env: [
            { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          volumeMounts: [
            { name: 'conf', mountPath: '/etc/app' },
            { name: 'scratch', mountPath: '/tmp/s' },
          ],
        },
      ],
      volumes: [
        { name: 'conf', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'app.conf' }] } },
        { name: 'scratch', emptyDir: {} },
      ],
    },
  })) as Pod;
  const dirs = new PodDirs(path.join(root, 'agent'));
  const setup = new ContainerSetup({ dirs, sources: apiSources(client), privileged: false, memoryCapacity: 2 ** 30 });
  await setup.preparePod(pod, ['10.42.0.7']);
  const uid = pod.metadata!.uid!;
  assert.match(await readFile(dirs.etcHosts(uid), 'utf8'), /\n10\.42\.0\.7\tweb\n/);

  const { config, terminationMessageFile } = await setup.containerConfig(pod, pod.spec!.containers[0]!, {
    attempt: 0,
    podIPs: ['10.42.0.7'],
    hostIPs: ['192.0.2.1'],
  });
  const env = Object.fromEntries(config.envs!.map((e) => [e.key, e.value]));
  assert.equal(env.MODE, 'fast');
  assert.equal(env.DB_PASSWORD, 'pw');
  assert.equal(env.ME, '10.42.0.7');
  const svc = await client.services.get('backend', 'app');
  assert.equal(env.BACKEND_SERVICE_HOST, svc.spec!.clusterIP);
  assert.equal(env.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(env.KUBERNETES_SERVICE_HOST, (await client.services.get('kubernetes', 'default')).spec!.clusterIP);
  assert.equal(env.ELSEWHERE_SERVICE_HOST, undefined, "other namespaces' services stay out");
  assert.deepEqual(config.command, ['sh', '-c', 'echo fast']);
  assert.deepEqual(
    config.mounts!.map((m) => [m.containerPath, !!m.readonly]),
    [
      ['/etc/app', true],
      ['/tmp/s', false],
      ['/etc/hosts', false],
      ['/dev/termination-log', false],
    ],
  );
  assert.equal(await readFile(path.join(config.mounts![0]!.hostPath, 'app.conf'), 'utf8'), 'a=1');
  assert.ok(terminationMessageFile);

  // A ConfigMap change reaches the mounted file.
  await client.configMaps.update({ metadata: { name: 'cfg', namespace: 'app' }, data: { MODE: 'slow', 'app.conf': 'a=2' } });
  await setup.resyncSource('configMap', 'app', 'cfg');
  assert.equal(await readFile(path.join(config.mounts![0]!.hostPath, 'app.conf'), 'utf8'), 'a=2');

  // Failures, with the kubelet's reasons.
  const broken: Pod = {
    ...pod,
    metadata: { ...pod.metadata, uid: 'other-uid' },
    spec: { ...pod.spec!, volumes: [{ name: 's', secret: { secretName: 'nope' } }] },
  };
  await assert.rejects(
    setup.preparePod(broken, []),
    (err: unknown) =>
      err instanceof ContainerSetupError && err.reason === 'FailedMount' && err.message === 'MountVolume.SetUp failed for volume "s" : secret "nope" not found',
  );
  const badEnv = { name: 'x', image: 'busybox', env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'absent' } } }] };
  await assert.rejects(
    setup.containerConfig(pod, badEnv, { attempt: 0, podIPs: [] }),
    (err: unknown) =>
      err instanceof ContainerSetupError && err.reason === 'CreateContainerConfigError' && err.message === "couldn't find key absent in ConfigMap app/cfg",
  );

  await setup.cleanupPod(uid);
  await setup.cleanupPod('other-uid');
  await assert.rejects(stat(dirs.pod(uid)), { code: 'ENOENT' });
});
