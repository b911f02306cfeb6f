// The CRI ContainerConfig built from pod specs: resources, QoS OOM scores, the merged
// security context, runAsNonRoot, /etc/hosts and the termination-message file on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { buildContainerConfig, readTerminationMessage } from '../../../src/kubelet/container/config.js';
import { linuxResources, milliCPUToQuota, milliCPUToShares, oomScoreAdj } from '../../../src/kubelet/container/linux-resources.js';
import { linuxSecurityContext, verifyRunAsNonRoot } from '../../../src/kubelet/container/security-context.js';
import { managedHostsContent, podHostnameAndDomain, writeHostsFile } from '../../../src/kubelet/container/etc-hosts.js';
import { PodDirs } from '../../../src/kubelet/container/pod-dirs.js';

const GI = 2 ** 30;

function pod(containers: Container[], spec: Partial<Pod['spec']> = {}, qosClass?: string): Pod {
  return {
    metadata: { name: 'web', namespace: 'ns1', uid: 'uid-1' },
    spec: { containers, ...spec },
    status: qosClass ? { qosClass } : {},
  };
}

test('cpu shares and quota follow the kubelet formulas', () => {
  assert.equal(milliCPUToShares(0), 2);
  assert.equal(milliCPUToShares(1), 2);
  assert.equal(milliCPUToShares(100), 102);
  assert.equal(milliCPUToShares(1000), 1024);
  assert.equal(milliCPUToShares(1_000_000), 262144);
  assert.equal(milliCPUToQuota(0), 0);
  assert.equal(milliCPUToQuota(500), 50000);
  assert.equal(milliCPUToQuota(5), 1000);
  const c: Container = { name: 'c', resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1500m', memory: '256Mi' } } };
  assert.deepEqual(linuxResources(pod([c]), c, 4 * GI), {
    cpuShares: 256,
    cpuPeriod: 100000,
    cpuQuota: 150000,
    memoryLimitInBytes: 256 * 2 ** 20,
    oomScoreAdj: 969,
  });
  const onlyLimit: Container = { name: 'c', resources: { limits: { cpu: '2' } } };
  assert.equal(linuxResources(pod([onlyLimit]), onlyLimit, GI).cpuShares, 2048);
});

test('OOM score adjustment by QoS class', () => {
  const guaranteed: Container = { name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } };
  assert.equal(oomScoreAdj(pod([guaranteed]), guaranteed, 4 * GI), -997);
  const be: Container = { name: 'c' };
  assert.equal(oomScoreAdj(pod([be]), be, 4 * GI), 1000);
  const tiny: Container = { name: 'c', resources: { requests: { memory: '1' } } };
  assert.equal(oomScoreAdj(pod([tiny]), tiny, 4 * GI), 999);
  const huge: Container = { name: 'c', resources: { requests: { memory: '4Gi' } } };
  assert.equal(oomScoreAdj(pod([huge]), huge, 4 * GI), 3);
  assert.equal(oomScoreAdj(pod([be], { priorityClassName: 'system-node-critical' }), be, 4 * GI), -997);
});

test('security context: pod-level values overlaid by the container, converted to CRI', () => {
  const c: Container = {
    name: 'c',
    securityContext: {
      runAsUser: 1000,
      privileged: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
    },
  };
  const p = pod([c], { securityContext: { runAsUser: 2000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 5000 } });
  assert.deepEqual(linuxSecurityContext(p, c), {
    runAsUser: 1000,
    runAsGroup: 3000,
    privileged: false,
    readonlyRootfs: true,
    capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
    supplementalGroups: [4000, 5000],
    noNewPrivs: true,
  });
  const plain: Container = { name: 'c' };
  assert.deepEqual(linuxSecurityContext(pod([plain]), plain, { username: 'nobody' }), { runAsUsername: 'nobody' });
  assert.deepEqual(linuxSecurityContext(pod([plain]), plain, { username: '65534:65534' }), { runAsUser: 65534 });
});

test('runAsNonRoot: the kubelet refuses root users with its own messages', () => {
  const c: Container = { name: 'app' };
  const p = pod([c], { securityContext: { runAsNonRoot: true } });
  assert.throws(() => verifyRunAsNonRoot(p, c), { message: 'container has runAsNonRoot and image will run as root (pod: "web_ns1(uid-1)", container: app)' });
  assert.throws(() => verifyRunAsNonRoot(p, c, { uid: 0 }), /image will run as root/);
  assert.doesNotThrow(() => verifyRunAsNonRoot(p, c, { uid: 1000 }));
  assert.throws(() => verifyRunAsNonRoot(p, c, { username: 'app' }), /image has non-numeric user \(app\), cannot verify user is non-root/);
  const root: Container = { name: 'app', securityContext: { runAsUser: 0 } };
  assert.throws(() => verifyRunAsNonRoot(pod([root], { securityContext: { runAsNonRoot: true } }), root), /runAsUser breaks non-root policy/);
  const off: Container = { name: 'app', securityContext: { runAsNonRoot: false } };
  assert.doesNotThrow(() => verifyRunAsNonRoot(pod([off], { securityContext: { runAsNonRoot: true } }), off));
});

test('/etc/hosts content: localhost lines, pod IPs with FQDN, host aliases', async () => {
  const p = pod([{ name: 'c' }], { hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '127.0.0.2', hostnames: ['foo.local', 'bar.local'] }] });
  const { hostname, domain } = podHostnameAndDomain(p);
  assert.equal(domain, 'db.ns1.svc.cluster.local');
  assert.equal(
    managedHostsContent(['10.42.0.9'], hostname, domain, p.spec!.hostAliases),
    [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.42.0.9\tdb-0.db.ns1.svc.cluster.local\tdb-0',
      '',
      '# Entries added by HostAliases.',
      '127.0.0.2\tfoo.local\tbar.local',
      '',
    ].join('\n'),
  );
  assert.equal(podHostnameAndDomain(pod([{ name: 'c' }])).hostname, 'web');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-hosts-'));
  try {
    const nodeHosts = path.join(dir, 'node-hosts');
    await writeFile(nodeHosts, '127.0.0.1 localhost\n192.0.2.1 mynode');
    const file = path.join(dir, 'pod', 'etc-hosts');
    const hn = pod([{ name: 'c' }], { hostNetwork: true, hostAliases: [{ ip: '127.0.0.3', hostnames: ['x'] }] });
    await writeHostsFile(file, hn, { podIPs: [], nodeHostsFile: nodeHosts });
    assert.equal(
      await readFile(file, 'utf8'),
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.0.2.1 mynode\n\n# Entries added by HostAliases.\n127.0.0.3\tx\n',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('buildContainerConfig: expanded command, env, mounts, hosts and termination-log files', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'skiff-cc-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dirs = new PodDirs(root);
  const c: Container = {
    name: 'app',
    image: 'busybox',
    command: ['sh', '-c'],
    args: ['echo $(GREETING) $$(GREETING)'],
    workingDir: '/work',
    stdin: true,
    tty: true,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    resources: { requests: { cpu: '100m' } },
  };
  const p = pod([c]);
  const built = await buildContainerConfig(p, c, {
    attempt: 2,
    env: [{ key: 'GREETING', value: 'hi' }],
    mounts: [{ containerPath: '/data', hostPath: '/srv/data', readonly: true }],
    dirs,
    podIPs: ['10.42.0.9'],
    memoryCapacity: GI,
    annotations: { extra: 'x' },
  });
  const cfg = built.config;
  assert.deepEqual(cfg.command, ['sh', '-c']);
  assert.deepEqual(cfg.args, ['echo hi $(GREETING)']);
  assert.equal(cfg.workingDir, '/work');
  assert.equal(cfg.logPath, 'app/2.log');
  assert.equal(cfg.metadata.attempt, 2);
  assert.equal(cfg.stdin, true);
  assert.equal(cfg.tty, true);
  assert.equal(cfg.stdinOnce, undefined);
  assert.deepEqual(cfg.envs, [{ key: 'GREETING', value: 'hi' }]);
  assert.equal(cfg.linux?.resources?.cpuShares, 102);
  assert.equal(cfg.labels?.['io.kubernetes.pod.uid'], 'uid-1');
  assert.equal(cfg.annotations?.['io.kubernetes.container.terminationMessagePolicy'], 'FallbackToLogsOnError');
  assert.equal(cfg.annotations?.extra, 'x');
  assert.deepEqual(
    cfg.mounts?.map((m) => m.containerPath),
    ['/data', '/etc/hosts', '/dev/termination-log'],
  );
  assert.equal(cfg.mounts?.[1]?.hostPath, path.join(root, 'pods', 'uid-1', 'etc-hosts'));
  const tm = built.terminationMessageFile!;
  assert.equal(cfg.mounts?.[2]?.hostPath, tm);
  assert.equal(path.dirname(tm), path.join(root, 'pods', 'uid-1', 'containers', 'app'));
  assert.equal((await stat(tm)).mode & 0o777, 0o666);
  assert.equal(await readTerminationMessage(tm), '');
  await writeFile(tm, `${'x'.repeat(5000)}END`);
  const msg = await readTerminationMessage(tm);
  assert.equal(msg.length, 4096);
  assert.ok(msg.endsWith('END'));
  // Each attempt gets its own file.
  const again = await buildContainerConfig(p, c, { attempt: 3, env: [], mounts: [], dirs });
  assert.notEqual(again.terminationMessageFile, tm);
  // No pod IPs yet: no /etc/hosts mount.
  assert.deepEqual(
    again.config.mounts?.map((m) => m.containerPath),
    ['/dev/termination-log'],
  );
  await assert.rejects(
    buildContainerConfig(pod([c], { securityContext: { runAsNonRoot: true } }), c, { attempt: 0, env: [], mounts: [] }),
    /image will run as root/,
  );
});
