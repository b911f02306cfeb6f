// Volumes as a real container sees them: the mounts the volume manager and
// buildContainerConfig produce, bound into a busybox container by containerd and runc.
// A configMap update reaches the running container through ..data; managed volumes are
// read-only; a secret sits on tmpfs; emptyDir subPath writes land on the host; /etc/hosts
// and the termination-message file work.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { busyboxAvailable, busyboxImage } from '../../src/images/busybox.js';
import { buildImageArchive } from '../../src/images/oci.js';
import { buildContainerConfig, readTerminationMessage } from '../../src/kubelet/container/config.js';
import { writeHostsFile } from '../../src/kubelet/container/etc-hosts.js';
import { PodDirs } from '../../src/kubelet/container/pod-dirs.js';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import type { VolumeSources } from '../../src/kubelet/volumes/types.js';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['containerd', 'ctr', 'runc'])
    if (spawnSync('which', [bin]).status !== 0) return `${bin} is not installed (apt-get install containerd runc)`;
  if (!busyboxAvailable()) return 'busybox-static is not installed';
  return undefined;
}

/** API objects held in maps: the data the volume manager reads. */
class Objects implements VolumeSources {
  cms = new Map<string, ConfigMap>();
  secrets = new Map<string, Secret>();
  configMap(ns: string, name: string) {
    return this.cms.get(`${ns}/${name}`);
  }
  secret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
  persistentVolumeClaim(): PersistentVolumeClaim | undefined {
    return undefined;
  }
  persistentVolume(): PersistentVolume | undefined {
    return undefined;
  }
}

test('volume mounts in a real container: live configMap updates, read-only, tmpfs secret, subPath, hosts, termination log', async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-volctr-'));
  const sock = join(dir, 'containerd.sock');
  writeFileSync(
    join(dir, 'config.toml'),
    `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${sock}"\n`,
  );
  const ctrd = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
  const ctr = (...args: string[]) => spawnSync('ctr', ['--address', sock, '-n', 'skiff-vol-test', ...args], { encoding: 'utf8', timeout: 60_000 });
  const id = `vol-${process.pid}`;
  const dirs = new PodDirs(join(dir, 'agent'));
  const objects = new Objects();
  const vm = new VolumeManager({ dirs, sources: objects, privileged: true });
  const uid = `uid-${process.pid}`;
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(sock), 'containerd started');
    const image = busyboxImage();
    writeFileSync(join(dir, 'busybox.tar'), buildImageArchive(image).archive);
    const imp = ctr('images', 'import', join(dir, 'busybox.tar'));
    assert.equal(imp.status, 0, `import: ${imp.stderr}`);

    objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'a=1' } });
    objects.secrets.set('ns/sec', { metadata: { name: 'sec', namespace: 'ns' }, data: { token: Buffer.from('s3cret').toString('base64') } });
    const container = {
      name: 'app',
      image: image.name,
      volumeMounts: [
        { name: 'cfg', mountPath: '/etc/cfg' },
        { name: 'sec', mountPath: '/etc/sec' },
        { name: 'scratch', mountPath: '/data', subPath: 'logs' },
      ],
    };
    const pod: Pod = {
      metadata: { name: 'web', namespace: 'ns', uid },
      spec: {
        containers: [container],
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'sec', secret: { secretName: 'sec' } },
          { name: 'scratch', emptyDir: {} },
        ],
      },
    };
    await vm.setUpPod(pod);
    await writeHostsFile(dirs.etcHosts(uid), pod, { podIPs: ['10.99.0.7'] });
    const mounts = await vm.mountsFor(pod, container);
    const { config, terminationMessageFile } = await buildContainerConfig(pod, container, { attempt: 0, env: [], mounts, dirs, podIPs: ['10.99.0.7'] });
    const mountArgs = config.mounts!.flatMap((m) => [
      '--mount',
      `type=bind,src=${m.hostPath},dst=${m.containerPath},options=rbind:${m.readonly ? 'ro' : 'rw'}`,
    ]);
    const run = ctr('run', '-d', ...mountArgs, image.name, id, 'sh', '-c', 'sleep 120');
    assert.equal(run.status, 0, `ctr run: ${run.stderr}`);
    let execs = 0;
    const exec = (script: string) => ctr('task', 'exec', '--exec-id', `e${execs++}`, id, 'sh', '-c', script);

    assert.equal(exec('cat /etc/cfg/app.conf').stdout, 'a=1');
    assert.equal(exec('cat /etc/sec/token').stdout, 's3cret');
    assert.match(exec('grep " /etc/sec " /proc/mounts').stdout, / tmpfs ro/, 'the secret is on tmpfs, read-only');
    assert.notEqual(exec('echo x > /etc/cfg/new').status, 0, 'configMap volume is read-only');
    assert.match(exec('cat /etc/hosts').stdout, /\n10\.99\.0\.7\tweb\n/);

    // The update reaches the running container without a restart.
    objects.cms.set('ns/cfg', { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'a=2', extra: 'new key' } });
    await vm.resyncSource('configMap', 'ns', 'cfg');
    assert.equal(exec('cat /etc/cfg/app.conf').stdout, 'a=2');
    assert.equal(exec('cat /etc/cfg/extra').stdout, 'new key');

    assert.equal(exec('echo written > /data/f && echo bye > /dev/termination-log').status, 0);
    assert.equal(readFileSync(join(dirs.volume(uid, 'kubernetes.io/empty-dir', 'scratch'), 'logs', 'f'), 'utf8'), 'written\n');
    assert.equal(await readTerminationMessage(terminationMessageFile!), 'bye\n');
  } finally {
    ctr('task', 'kill', '-s', 'SIGKILL', id);
    for (let i = 0; i < 50 && ctr('task', 'rm', '-f', id).status !== 0 && ctr('task', 'ls', '-q').stdout.includes(id); i++)
      await new Promise((r) => setTimeout(r, 100));
    ctr('container', 'rm', id);
    ctrd.kill('SIGTERM');
    await new Promise((r) => ctrd.once('exit', r));
    await vm.tearDownPod(uid).catch(() => {});
    spawnSync('umount', ['-R', join(dir, 'state')]);
    rmSync(dir, { recursive: true, force: true });
  }
});
