// The volume manager on real directories: each plugin's files, the CRI mounts with
// subPath/readOnly/propagation, resync after a source changes, and teardown leaving
// nothing behind. tmpfs parts run only as root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { PodDirs } from '../../../src/kubelet/container/pod-dirs.js';
import { VolumeManager } from '../../../src/kubelet/volumes/manager.js';
import { SystemMounter } from '../../../src/kubelet/volumes/mounter.js';
import { checkHostPathType } from '../../../src/kubelet/volumes/host-path.js';
import { PLACEHOLDER_TOKEN } from '../../../src/kubelet/volumes/projected.js';
import type { VolumeSources } from '../../../src/kubelet/volumes/types.js';

const isRoot = process.getuid?.() === 0;
const b64 = (s: string) => Buffer.from(s).toString('base64');

class Objects implements VolumeSources {
  cms = new Map<string, ConfigMap>();
  secrets = new Map<string, Secret>();
  pvcs = new Map<string, PersistentVolumeClaim>();
  pvs = new Map<string, PersistentVolume>();
  configMap(ns: string, name: string) {
    return this.cms.get(`${ns}/${name}`);
  }
  secret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
  persistentVolumeClaim(ns: string, name: string) {
    return this.pvcs.get(`${ns}/${name}`);
  }
  persistentVolume(name: string) {
    return this.pvs.get(name);
  }
}

async function setup(t: { after(fn: () => unknown): void }, privileged = false) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'skiff-vol-'));
  const objects = new Objects();
  const dirs = new PodDirs(path.join(root, 'agent'));
  const vm = new VolumeManager({ dirs, sources: objects, privileged, allocatable: { cpu: '4', memory: '8Gi' } });
  t.after(async () => {
    // Whatever a failed test left mounted goes first.
    const m = new SystemMounter();
    for (const p of await m.mountsUnder(root)) await m.unmount(p).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });
  return { root, objects, dirs, vm };
}

function makePod(uid: string, spec: Partial<Pod['spec']>): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid, labels: { app: 'a' }, annotations: { v: '1' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

test('configMap and secret volumes: files, items, modes, optional; resync sees changes', async (t) => {
  const { objects, vm, dirs } = await setup(t);
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'x=1', other: 'o' }, binaryData: { bin: b64('\u0001\u0002') } });
  objects.secrets.set('ns/sec', { metadata: { name: 'sec', namespace: 'ns' }, data: { password: b64('pw') } });
  const pod = makePod('u1', {
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'items', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o600 }], defaultMode: 0o640 } },
      { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
      { name: 'opt', configMap: { name: 'missing', optional: true } },
    ],
    containers: [
      {
        name: 'c',
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/cfg' },
          { name: 'items', mountPath: '/etc/items' },
          { name: 'sec', mountPath: '/sec' },
          { name: 'opt', mountPath: '/opt' },
        ],
      },
    ],
  });
  await vm.setUpPod(pod);
  assert.ok(vm.isSetUp(pod));
  const cfgDir = dirs.volume('u1', 'kubernetes.io/configmap', 'cfg');
  assert.equal(cfgDir, path.join(dirs.root, 'pods/u1/volumes/kubernetes.io~configmap/cfg'));
  assert.equal(await readFile(path.join(cfgDir, 'app.conf'), 'utf8'), 'x=1');
  assert.deepEqual([...(await readFile(path.join(cfgDir, 'bin')))], [1, 2]);
  assert.equal((await stat(path.join(cfgDir, 'app.conf'))).mode & 0o777, 0o644);
  const itemsDir = dirs.volume('u1', 'kubernetes.io/configmap', 'items');
  assert.deepEqual(
    (await readdir(itemsDir)).filter((e) => !e.startsWith('..')),
    ['etc'],
  );
  assert.equal((await stat(path.join(itemsDir, 'etc/app.conf'))).mode & 0o777, 0o600);
  const secDir = dirs.volume('u1', 'kubernetes.io/secret', 'sec');
  assert.equal(await readFile(path.join(secDir, 'password'), 'utf8'), 'pw');
  assert.equal((await stat(path.join(secDir, 'password'))).mode & 0o777, 0o400);
  assert.deepEqual(
    (await readdir(dirs.volume('u1', 'kubernetes.io/configmap', 'opt'))).filter((e) => !e.startsWith('..')),
    [],
  );

  const mounts = await vm.mountsFor(pod, pod.spec!.containers[0]!);
  assert.deepEqual(
    mounts.map((m) => [m.containerPath, m.readonly]),
    [
      ['/etc/cfg', true],
      ['/etc/items', true],
      ['/sec', true],
      ['/opt', true],
    ],
  );

  // A path opened before the update reads the new content after it (through ..data).
  const visible = path.join(cfgDir, 'app.conf');
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'x=2' } });
  await vm.resyncSource('configMap', 'ns', 'cfg');
  assert.equal(await readFile(visible, 'utf8'), 'x=2');
  await assert.rejects(stat(path.join(cfgDir, 'other')), { code: 'ENOENT' });
  objects.secrets.set('ns/sec', { metadata: { name: 'sec', namespace: 'ns' }, data: { password: b64('new') } });
  // A secret in another namespace, or one the pod does not use, touches nothing.
  await vm.resyncSource('secret', 'other', 'sec');
  await vm.resyncSource('secret', 'ns', 'unrelated');
  assert.equal(await readFile(path.join(secDir, 'password'), 'utf8'), 'pw');
  await vm.resyncSource('secret', 'ns', 'sec');
  assert.equal(await readFile(path.join(secDir, 'password'), 'utf8'), 'new');

  await vm.tearDownPod('u1');
  await assert.rejects(stat(dirs.pod('u1')), { code: 'ENOENT' });
});

test('missing sources fail with the kubelet FailedMount messages', async (t) => {
  const { objects, vm } = await setup(t);
  const cases: [Pod['spec'], RegExp][] = [
    [{ containers: [], volumes: [{ name: 'v', configMap: { name: 'nope' } }] }, /MountVolume\.SetUp failed for volume "v" : configmap "nope" not found$/],
    [{ containers: [], volumes: [{ name: 'v', secret: { secretName: 'nope' } }] }, /secret "nope" not found/],
    [
      { containers: [], volumes: [{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'k', path: 'k' }] } }] },
      /configmap references non-existent config key: k/,
    ],
    [{ containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'claim' } }] }, /persistentvolumeclaim "claim" not found/],
    [{ containers: [], volumes: [{ name: 'v', awsElasticBlockStore: { volumeID: 'x' } }] }, /volume type awsElasticBlockStore is not supported/],
  ];
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: {} });
  let i = 0;
  for (const [spec, re] of cases) await assert.rejects(vm.setUpPod(makePod(`bad${i++}`, spec)), re);
});

test('emptyDir and hostPath volumes; subPath, subPathExpr, readOnly and propagation', async (t) => {
  const { root, vm, dirs } = await setup(t);
  const host = path.join(root, 'host');
  await mkdir(path.join(host, 'existing'), { recursive: true });
  await writeFile(path.join(host, 'file'), 'f');
  const pod = makePod('u2', {
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'made', hostPath: { path: path.join(host, 'made/deep'), type: 'DirectoryOrCreate' } },
      { name: 'dir', hostPath: { path: path.join(host, 'existing'), type: 'Directory' } },
      { name: 'f', hostPath: { path: path.join(host, 'new-file'), type: 'FileOrCreate' } },
    ],
    containers: [
      {
        name: 'c',
        volumeMounts: [
          { name: 'scratch', mountPath: '/scratch' },
          { name: 'scratch', mountPath: '/logs', subPath: 'logs/app' },
          { name: 'scratch', mountPath: '/per-pod', subPathExpr: '$(POD_NAME)' },
          { name: 'made', mountPath: '/made', readOnly: true },
          { name: 'dir', mountPath: '/dir', mountPropagation: 'HostToContainer' },
          { name: 'f', mountPath: '/f' },
        ],
      },
    ],
  });
  await vm.setUpPod(pod);
  const scratch = dirs.volume('u2', 'kubernetes.io/empty-dir', 'scratch');
  assert.equal((await stat(scratch)).mode & 0o7777, 0o1777);
  assert.ok((await stat(path.join(host, 'made/deep'))).isDirectory());
  assert.ok((await stat(path.join(host, 'new-file'))).isFile());
  const mounts = await vm.mountsFor(pod, pod.spec!.containers[0]!, [{ key: 'POD_NAME', value: 'p' }]);
  assert.deepEqual(mounts, [
    { containerPath: '/scratch', hostPath: scratch },
    { containerPath: '/logs', hostPath: path.join(scratch, 'logs/app') },
    { containerPath: '/per-pod', hostPath: path.join(scratch, 'p') },
    { containerPath: '/made', hostPath: path.join(host, 'made/deep'), readonly: true },
    { containerPath: '/dir', hostPath: path.join(host, 'existing'), propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
    { containerPath: '/f', hostPath: path.join(host, 'new-file') },
  ]);
  assert.ok((await stat(path.join(scratch, 'logs/app'))).isDirectory());
  await assert.rejects(vm.mountsFor(pod, pod.spec!.containers[0]!), /missing value for POD_NAME/);
  await assert.rejects(vm.mountsFor(pod, { name: 'x', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../../etc' }] }), /must not contain '\.\.'/);
  await assert.rejects(vm.mountsFor(pod, { name: 'x', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }), /volume "nope" of container x .* is not set up/);

  await vm.tearDownPod('u2');
  await assert.rejects(stat(dirs.pod('u2')), { code: 'ENOENT' });
  // hostPath content belongs to the host, never to the pod.
  assert.ok((await stat(path.join(host, 'made/deep'))).isDirectory());
  assert.equal(await readFile(path.join(host, 'file'), 'utf8'), 'f');
});

test('hostPath type checks', async (t) => {
  const { root } = await setup(t);
  const dir = path.join(root, 'd');
  await mkdir(dir);
  const f = path.join(root, 'f');
  await writeFile(f, '');
  await assert.rejects(checkHostPathType(f, 'Directory'), { message: `hostPath type check failed: ${f} is not a directory` });
  await assert.rejects(checkHostPathType(path.join(root, 'absent'), 'Directory'), /is not a directory/);
  await assert.rejects(checkHostPathType(dir, 'File'), { message: `hostPath type check failed: ${dir} is not a file` });
  await assert.rejects(checkHostPathType(f, 'DirectoryOrCreate'), /is not a directory/);
  await assert.rejects(checkHostPathType(dir, 'FileOrCreate'), /is not a file/);
  await assert.rejects(checkHostPathType(f, 'Socket'), /is not a socket file/);
  await assert.rejects(checkHostPathType(f, 'CharDevice'), /is not a character device/);
  await assert.rejects(checkHostPathType(f, 'BlockDevice'), /is not a block device/);
  await assert.rejects(checkHostPathType(f, 'Bogus'), /Bogus is an invalid volume type/);
  await checkHostPathType('/dev/null', 'CharDevice');
  await checkHostPathType(path.join(root, 'anything'), undefined);
  const sock = path.join(root, 's.sock');
  const server = net.createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    await checkHostPathType(sock, 'Socket');
  } finally {
    server.close();
  }
});

test('downwardAPI and projected volumes follow pod and source changes', async (t) => {
  const { objects, vm, dirs } = await setup(t);
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { a: '1' } });
  objects.secrets.set('ns/sec', { metadata: { name: 'sec', namespace: 'ns' }, data: { s: b64('2') } });
  const pod = makePod('u3', {
    containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }],
    volumes: [
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' }, mode: 0o600 },
            { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
          ],
        },
      },
      {
        name: 'all',
        projected: {
          sources: [
            { configMap: { name: 'cfg' } },
            { secret: { name: 'sec', items: [{ key: 's', path: 'secret/s' }] } },
            { downwardAPI: { items: [{ path: 'ann', fieldRef: { fieldPath: "metadata.annotations['v']" } }] } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
    ],
  });
  await vm.setUpPod(pod);
  const info = dirs.volume('u3', 'kubernetes.io/downward-api', 'info');
  assert.equal(await readFile(path.join(info, 'labels'), 'utf8'), 'app="a"');
  assert.equal(await readFile(path.join(info, 'name'), 'utf8'), 'p');
  assert.equal(await readFile(path.join(info, 'mem'), 'utf8'), '64');
  assert.equal(await readFile(path.join(info, 'cpu'), 'utf8'), '4');
  assert.equal((await stat(path.join(info, 'mem'))).mode & 0o777, 0o600);
  const all = dirs.volume('u3', 'kubernetes.io/projected', 'all');
  assert.equal(await readFile(path.join(all, 'a'), 'utf8'), '1');
  assert.equal(await readFile(path.join(all, 'secret/s'), 'utf8'), '2');
  assert.equal(await readFile(path.join(all, 'ann'), 'utf8'), '1');
  assert.equal(await readFile(path.join(all, 'token'), 'utf8'), PLACEHOLDER_TOKEN);
  assert.equal((await stat(path.join(all, 'token'))).mode & 0o777, 0o600);

  const relabelled: Pod = { ...pod, metadata: { ...pod.metadata, labels: { app: 'b', extra: 'y' }, annotations: { v: '2' } } };
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { a: '10' } });
  await vm.resync(relabelled);
  assert.equal(await readFile(path.join(info, 'labels'), 'utf8'), 'app="b"\nextra="y"');
  assert.equal(await readFile(path.join(all, 'a'), 'utf8'), '10');
  assert.equal(await readFile(path.join(all, 'ann'), 'utf8'), '2');

  // A token source, when the agent has one, replaces the placeholder.
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { a: '10' } });
  (objects as VolumeSources).serviceAccountToken = async (_p, req) => `token-for-${req.audience ?? 'api'}-${req.expirationSeconds}`;
  await vm.resync(relabelled);
  assert.equal(await readFile(path.join(all, 'token'), 'utf8'), 'token-for-api-3600');
  await vm.tearDownPod('u3');
  await assert.rejects(stat(dirs.pod('u3')), { code: 'ENOENT' });
});

test('persistentVolumeClaim volumes mount the bound PV path', async (t) => {
  const { root, objects, vm } = await setup(t);
  const pvPath = path.join(root, 'storage', 'pvc-1');
  objects.pvcs.set('ns/data', { metadata: { name: 'data', namespace: 'ns', uid: 'pvc-1' }, spec: { volumeName: 'pv-1' }, status: { phase: 'Bound' } });
  objects.pvs.set('pv-1', {
    metadata: { name: 'pv-1' },
    spec: { hostPath: { path: pvPath, type: 'DirectoryOrCreate' }, claimRef: { namespace: 'ns', name: 'data', uid: 'pvc-1' } },
  });
  objects.pvcs.set('ns/pending', { metadata: { name: 'pending', namespace: 'ns' }, spec: {}, status: { phase: 'Pending' } });
  const pod = makePod('u4', {
    volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data', readOnly: true } }],
    containers: [{ name: 'c', volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
  });
  await vm.setUpPod(pod);
  assert.ok((await stat(pvPath)).isDirectory());
  assert.deepEqual(await vm.mountsFor(pod, pod.spec!.containers[0]!), [{ containerPath: '/data', hostPath: pvPath, readonly: true }]);
  await assert.rejects(
    vm.setUpPod(makePod('u5', { containers: [], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'pending' } }] })),
    /has non-bound phase \("Pending"\)/,
  );
  await vm.tearDownPod('u4');
  // The claim's data outlives the pod.
  assert.ok((await stat(pvPath)).isDirectory());
});

test('orphaned pod directories are removed', async (t) => {
  const { vm, dirs } = await setup(t);
  await vm.setUpPod(makePod('keep', { volumes: [{ name: 'e', emptyDir: {} }] }));
  await vm.setUpPod(makePod('gone', { volumes: [{ name: 'e', emptyDir: {} }] }));
  assert.deepEqual(await vm.cleanupOrphans(new Set(['keep'])), ['gone']);
  assert.deepEqual(await readdir(dirs.podsDir), ['keep']);
});

test('tmpfs: memory emptyDir with sizeLimit and secrets on tmpfs, unmounted at teardown', { skip: isRoot ? false : 'needs root (mounts tmpfs)' }, async (t) => {
  const { objects, vm, dirs } = await setup(t, true);
  objects.secrets.set('ns/sec', { metadata: { name: 'sec', namespace: 'ns' }, data: { k: b64('v') } });
  const pod = makePod('u6', {
    volumes: [
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } },
      { name: 's', secret: { secretName: 'sec' } },
    ],
  });
  await vm.setUpPod(pod);
  const mem = dirs.volume('u6', 'kubernetes.io/empty-dir', 'mem');
  const sec = dirs.volume('u6', 'kubernetes.io/secret', 's');
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const line = mountinfo.split('\n').find((l) => l.split(' ')[4] === mem);
  assert.ok(line, 'memory emptyDir is a mount point');
  assert.match(line!, / - tmpfs .*size=2048k/);
  assert.ok(
    mountinfo.split('\n').some((l) => l.split(' ')[4] === sec && l.includes(' - tmpfs ')),
    'secret volume is on tmpfs',
  );
  assert.equal(await readFile(path.join(sec, 'k'), 'utf8'), 'v');
  // Set up again: no second mount stacked on the first.
  await vm.setUpPod(pod);
  assert.equal((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.split(' ')[4] === mem).length, 1);
  // The size limit holds.
  await assert.rejects(writeFile(path.join(mem, 'big'), Buffer.alloc(3 * 2 ** 20)), { code: 'ENOSPC' });
  await vm.tearDownPod('u6');
  assert.deepEqual(await new SystemMounter().mountsUnder(dirs.pod('u6')), []);
  await assert.rejects(stat(dirs.pod('u6')), { code: 'ENOENT' });
});

test('fsGroup: managed volumes are group-owned, group-readable, setgid directories', { skip: isRoot ? false : 'needs root (chown)' }, async (t) => {
  const { objects, vm, dirs } = await setup(t, true);
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { k: 'v' } });
  const pod = makePod('u7', {
    securityContext: { fsGroup: 4321 },
    volumes: [
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o600 } },
      { name: 'e', emptyDir: {} },
    ],
  });
  await vm.setUpPod(pod);
  const cfg = dirs.volume('u7', 'kubernetes.io/configmap', 'cfg');
  const file = await stat(path.join(cfg, 'k'));
  assert.equal(file.gid, 4321);
  assert.equal(file.mode & 0o777, 0o640);
  const data = await stat(path.join(cfg, '..data'));
  assert.equal(data.gid, 4321);
  assert.equal(data.mode & 0o2000, 0o2000);
  const e = await stat(dirs.volume('u7', 'kubernetes.io/empty-dir', 'e'));
  assert.equal(e.gid, 4321);
  assert.equal(e.mode & 0o7777, 0o3777);
  // Unchanged source, same ownership: resync rewrites nothing.
  const before = await readFile(path.join(cfg, '..data', 'k'));
  const version = await readlink(path.join(cfg, '..data'));
  await vm.resync(pod);
  assert.equal(await readlink(path.join(cfg, '..data')), version);
  assert.deepEqual(await readFile(path.join(cfg, 'k')), before);
  await vm.tearDownPod('u7');
});

test('subPath symlinks that leave the volume are refused', async (t) => {
  const { root, vm, dirs } = await setup(t);
  const pod = makePod('u8', { volumes: [{ name: 'e', emptyDir: {} }] });
  await vm.setUpPod(pod);
  const vol = dirs.volume('u8', 'kubernetes.io/empty-dir', 'e');
  // What a container could do inside its own emptyDir.
  await symlink('/etc', path.join(vol, 'escape'));
  await mkdir(path.join(vol, 'real'));
  await symlink('real', path.join(vol, 'inside'));
  await assert.rejects(
    vm.mountsFor(pod, { name: 'c', volumeMounts: [{ name: 'e', mountPath: '/x', subPath: 'escape' }] }),
    /resolves outside the volume \(\/etc\)/,
  );
  assert.deepEqual(await vm.mountsFor(pod, { name: 'c', volumeMounts: [{ name: 'e', mountPath: '/x', subPath: 'inside' }] }), [
    { containerPath: '/x', hostPath: path.join(vol, 'real') },
  ]);
  assert.ok(root);
});

test('concurrent resyncs and set-ups of one pod never leave a broken ..data', async (t) => {
  const { objects, vm, dirs } = await setup(t);
  objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { k: 'v0' } });
  const pod = makePod('u9', { volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }] });
  await vm.setUpPod(pod);
  const ops: Promise<void>[] = [];
  for (let i = 1; i <= 20; i++) {
    objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { k: `v${i}` } });
    ops.push(vm.resync(pod), vm.setUpPod(pod));
  }
  await Promise.all(ops);
  const dir = dirs.volume('u9', 'kubernetes.io/configmap', 'cfg');
  assert.equal(await readFile(path.join(dir, 'k'), 'utf8'), 'v20');
  assert.equal((await readdir(dir)).filter((e) => e.startsWith('..2')).length, 1, 'one version directory left');
});

test('generic ephemeral volumes mount the claim the pod owns, and only that', async (t) => {
  const { root, objects, vm } = await setup(t);
  const pvPath = path.join(root, 'storage', 'eph');
  const owner = { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u10', controller: true };
  objects.pvcs.set('ns/p-scratch', {
    metadata: { name: 'p-scratch', namespace: 'ns', uid: 'c1', ownerReferences: [owner] },
    spec: { volumeName: 'pv-e' },
    status: { phase: 'Bound' },
  });
  objects.pvs.set('pv-e', {
    metadata: { name: 'pv-e' },
    spec: { hostPath: { path: pvPath, type: 'DirectoryOrCreate' }, claimRef: { namespace: 'ns', name: 'p-scratch', uid: 'c1' } },
  });
  const pod = makePod('u10', {
    volumes: [
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
    ],
    containers: [{ name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
  });
  await vm.setUpPod(pod);
  assert.deepEqual(await vm.mountsFor(pod, pod.spec!.containers[0]!), [{ containerPath: '/scratch', hostPath: pvPath }]);
  // Same name, another pod (another uid): not its claim.
  await assert.rejects(
    vm.setUpPod({ ...pod, metadata: { ...pod.metadata, uid: 'u11' } }),
    /PVC ns\/p-scratch was not created for pod ns\/p \(pod is not owner\)/,
  );
});
