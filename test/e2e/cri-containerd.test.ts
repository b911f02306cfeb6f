// CriRuntime and the containerd supervisor against the real containerd, runc and CNI
// plugins: images import once, a sandbox gets a pod IP on a bridge of this test's own,
// containers log, exit with their codes and run exec, events come from relisting, and the
// supervisor brings a killed containerd back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/util/log.js';
import { busyboxAvailable, busyboxImage } from '../../src/images/busybox.js';
import { buildImageArchive } from '../../src/images/oci.js';
import { CniNetwork } from '../../src/kubelet/network/cni.js';
import { criUnavailableReason, startNodeRuntime } from '../../src/kubelet/node-runtime.js';
import { ContainerdSupervisor } from '../../src/kubelet/runtime/containerd.js';
import { CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';
import { ctrImageNames, ctrImport, importArchiveDir, importBuiltinImages } from '../../src/kubelet/runtime/image-import.js';
import type { ContainerEvent, PodSandboxConfig } from '../../src/kubelet/runtime/types.js';
import { SKIFF_BIN } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function missing(): string | undefined {
  return criUnavailableReason() ?? (busyboxAvailable() ? undefined : 'busybox-static is not installed');
}

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('CRI against the real containerd: images, sandbox with pod IP, logs, exit codes, exec, events, restart', { timeout: 180_000 }, async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cri-'));
  const agentDir = join(dir, 'agent');
  const bridge = `skc${Math.random().toString(36).slice(2, 7)}`;
  const octet = 160 + Math.floor(Math.random() * 40);
  const podCidr = `10.${octet}.200.0/24`;
  const net = new CniNetwork({ confDir: join(agentDir, 'cni', 'net.d'), ipamDir: join(agentDir, 'cni', 'ipam'), bridge });
  const sup = new ContainerdSupervisor({ agentDir, cniConfDir: join(agentDir, 'cni', 'net.d'), log: createLogger('test-containerd') });
  let rt: CriRuntime | undefined;
  try {
    await sup.start();
    rt = await CriRuntime.connect({ endpoint: sup.endpoint, relistMs: 200, onPodCidr: async (c) => net.configure(c) });
    assert.match(rt.runtimeVersionString, /^containerd:\/\/1\./);
    const conds = await rt.status();
    assert.equal(conds.find((c) => c.type === 'RuntimeReady')?.status, true);

    const target = { socket: sup.layout.socket, snapshotter: sup.snapshotter!, stateDir: sup.layout.dir };
    assert.deepEqual(await importBuiltinImages(target), ['skiff.local/pause:3.10', 'skiff.local/busybox:1.35', 'skiff.local/httpd:1.35']);
    assert.deepEqual(await importBuiltinImages(target), [], 'present images are not imported again');
    // An older Skiff's image of the same name (other content) is replaced by this one's.
    const stale = join(dir, 'stale-httpd.tar');
    writeFileSync(stale, buildImageArchive({ ...busyboxImage(), name: 'skiff.local/httpd:1.35' }).archive);
    await ctrImport(target, stale);
    assert.deepEqual(await importBuiltinImages(target), ['skiff.local/httpd:1.35'], 'a built-in image with other content is imported again');
    const img = await rt.imageStatus('skiff.local/busybox:1.35');
    assert.ok(img && img.size > 0n && img.repoTags.includes('skiff.local/busybox:1.35'));
    assert.equal(await rt.imageStatus('skiff.local/nothing:1'), undefined);

    // Air-gapped archives: imported once, by name and fingerprint.
    const imagesDir = join(agentDir, 'images');
    mkdirSync(imagesDir);
    writeFileSync(join(imagesDir, 'extra.tar'), buildImageArchive({ ...busyboxImage(), name: 'skiff.local/extra:1' }).archive);
    assert.deepEqual(await importArchiveDir(target, imagesDir), ['extra.tar']);
    assert.deepEqual(await importArchiveDir(target, imagesDir), []);
    assert.ok((await ctrImageNames(sup.layout.socket)).has('skiff.local/extra:1'));

    await rt.updateRuntimeConfig({ podCidr });
    await until('NetworkReady', 20_000, async () => ((await rt!.status()).find((c) => c.type === 'NetworkReady')?.status ? true : undefined));

    const events: ContainerEvent[] = [];
    const unsubscribe = rt.getContainerEvents((e) => events.push(e));
    const logDir = join(dir, 'logs', 'default_probe_u1');
    const sb: PodSandboxConfig = {
      metadata: { name: 'probe', namespace: 'default', uid: `u1-${bridge}`, attempt: 0 },
      hostname: 'probe-host',
      logDirectory: logDir,
      dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
      labels: { test: bridge },
      annotations: {},
    };
    const sbId = await rt.runPodSandbox(sb);
    const st = await rt.podSandboxStatus(sbId);
    assert.equal(st.state, 'SANDBOX_READY');
    assert.ok(st.network?.ip.startsWith(`10.${octet}.200.`), `pod IP ${st.network?.ip} from ${podCidr}`);
    assert.deepEqual(net.leases(), [st.network!.ip]);
    assert.equal((await rt.listPodSandbox({ labelSelector: { test: bridge } })).length, 1);

    const mk = async (name: string, script: string) => {
      const id = await rt!.createContainer(
        sbId,
        {
          metadata: { name, attempt: 0 },
          image: { image: 'skiff.local/busybox:1.35' },
          command: ['sh', '-c', script],
          envs: [{ key: 'GREETING', value: 'hello' }],
          logPath: `${name}/0.log`,
        },
        sb,
      );
      await rt!.startContainer(id);
      return id;
    };
    const quitter = await mk('quitter', 'echo "$GREETING from $(hostname)"; cat /etc/resolv.conf; exit 3');
    const sleeper = await mk('sleeper', 'trap "exit 0" TERM; while :; do sleep 1; done');
    const exited = await until('quitter to exit', 20_000, async () => {
      const s = await rt!.containerStatus(quitter);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.podSandboxId, sbId);
    // containerd records startedAt when its Start call returns; a process that exits at once
    // can be reaped a few ms before that, so only the order against createdAt is certain.
    assert.ok(exited.startedAt > 0n && exited.finishedAt >= exited.createdAt && exited.startedAt >= exited.createdAt);
    const log = readFileSync(join(logDir, 'quitter', '0.log'), 'utf8');
    assert.match(log, /stdout F hello from probe-host/);
    assert.match(log, /nameserver 10\.43\.0\.10/);
    assert.match(log, /search default\.svc\.cluster\.local/);

    const ex = await rt.execSync(sleeper, ['sh', '-c', 'cat /etc/hostname; echo oops >&2; exit 4'], 10);
    assert.deepEqual([ex.stdout.toString().trim(), ex.stderr.toString().trim(), ex.exitCode], ['probe-host', 'oops', 4]);
    const url = (await rt.exec({ containerId: sleeper, cmd: ['sh'], tty: false, stdin: true, stdout: true, stderr: true })).url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//, 'the stream server listens on loopback only');

    await until('relisted events for both containers', 10_000, async () =>
      events.some((e) => e.containerId === quitter && e.type === 'CONTAINER_STOPPED_EVENT') &&
      events.some((e) => e.containerId === sleeper && e.type === 'CONTAINER_STARTED_EVENT')
        ? true
        : undefined,
    );

    // containerd dies; the supervisor starts it again and the running container is still there.
    const oldPid = sup.pid!;
    process.kill(oldPid, 'SIGKILL');
    await until('containerd restarted', 20_000, async () => (sup.pid && sup.pid !== oldPid ? true : undefined));
    const again = await until('CRI answering after restart', 30_000, async () => rt!.containerStatus(sleeper).catch(() => undefined));
    assert.equal(again.state, 'CONTAINER_RUNNING');

    await rt.stopContainer(sleeper, 5);
    assert.equal((await rt.containerStatus(sleeper)).exitCode, 0, 'SIGTERM ends the trap-ing container cleanly');
    for (const c of [quitter, sleeper]) await rt.removeContainer(c);
    await rt.stopPodSandbox(sbId);
    await rt.removePodSandbox(sbId);
    assert.deepEqual(await rt.listPodSandbox({ labelSelector: { test: bridge } }), []);
    assert.deepEqual(net.leases(), [], 'the IP lease is released');
    const veths = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).stdout.trim();
    assert.equal(veths, '', 'no veth left on the bridge');
    unsubscribe();
  } finally {
    if (rt) {
      for (const s of await rt.listPodSandbox().catch(() => [])) {
        await rt.stopPodSandbox(s.id).catch(() => {});
        await rt.removePodSandbox(s.id).catch(() => {});
      }
      await rt.close();
    }
    await sup.stop();
    for (const line of spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m && m[2]!.includes(dir)) spawnSync('kill', ['-9', m[1]!]);
    }
    for (const p of readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((p) => p.startsWith(dir))
      .reverse())
      spawnSync('umount', ['-l', p]);
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});

test("skiff images import loads archives into the node's containerd, with progress per file", { timeout: 120_000 }, async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-imp-'));
  const sup = new ContainerdSupervisor({ agentDir: join(dir, 'agent'), cniConfDir: join(dir, 'agent', 'cni', 'net.d'), log: createLogger('test-containerd') });
  try {
    await sup.start();
    const a = join(dir, 'a.tar');
    const b = join(dir, 'b.tar');
    writeFileSync(a, buildImageArchive({ ...busyboxImage(), name: 'skiff.local/imp-a:1' }).archive);
    writeFileSync(b, buildImageArchive({ ...busyboxImage(), name: 'skiff.local/imp-b:1' }).archive);
    const r = spawnSync(process.execPath, [SKIFF_BIN, 'images', 'import', '--data-dir', dir, a, b], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\[1\/2\] importing .*a\.tar/);
    assert.match(r.stdout, /\[2\/2\] .*b\.tar: .*skiff\.local\/imp-b:1/);
    const names = await ctrImageNames(sup.layout.socket);
    assert.ok(names.has('skiff.local/imp-a:1') && names.has('skiff.local/imp-b:1'));
    const bad = spawnSync(process.execPath, [SKIFF_BIN, 'images', 'import', '--data-dir', dir, join(dir, 'nope.tar')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /nope\.tar: no such file/);
  } finally {
    await sup.stop();
    for (const p of readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((p) => p.startsWith(dir))
      .reverse())
      spawnSync('umount', ['-l', p]);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
});

test('--container-runtime-endpoint uses the given CRI socket and starts no containerd of its own', { timeout: 60_000 }, async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ep-'));
  const sup = new ContainerdSupervisor({
    agentDir: join(dir, 'external'),
    cniConfDir: join(dir, 'external', 'cni', 'net.d'),
    log: createLogger('test-containerd'),
  });
  try {
    await sup.start();
    const nr = await startNodeRuntime({
      kind: 'cri',
      endpoint: sup.endpoint,
      agentDir: join(dir, 'agent'),
      hostIP: '127.0.0.1',
      log: createLogger('test-agent'),
      clusterDns: '10.43.0.10',
    });
    assert.equal(nr.kind, 'cri');
    assert.equal(nr.supervisor, undefined);
    assert.match(nr.runtime.runtimeVersionString, /^containerd:\/\//);
    assert.ok(!existsSync(join(dir, 'agent', 'containerd', 'containerd.sock')), 'no containerd of its own');
    assert.equal(nr.capacity.pods, '110');
    assert.match(nr.capacity['ephemeral-storage'] ?? '', /^\d+Ki$/);
    assert.deepEqual(nr.sandbox.clusterDns, ['10.43.0.10']);
    await nr.stop();
    const still = await CriRuntime.connect({ endpoint: sup.endpoint, waitMs: 2000 });
    await still.close();
  } finally {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a restarted node runtime finds the sandboxes its previous run left, still ready (the agent adopts or removes them)', { timeout: 90_000 }, async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-restart-'));
  const agentDir = join(dir, 'agent');
  const start = () =>
    startNodeRuntime({ kind: 'cri', agentDir, hostIP: '127.0.0.1', log: createLogger('test-agent'), bridge: `skr${Math.random().toString(36).slice(2, 7)}` });
  try {
    const first = await start();
    // Host network: no pod CIDR is needed for this sandbox.
    const id = await first.runtime.runPodSandbox({
      metadata: { name: 'old', namespace: 'default', uid: 'old-1', attempt: 0 },
      hostNetwork: true,
      labels: {},
      annotations: {},
    });
    assert.equal((await first.runtime.podSandboxStatus(id)).state, 'SANDBOX_READY');
    await first.stop();
    const second = await start();
    try {
      const found = await second.runtime.listPodSandbox();
      assert.deepEqual(
        found.map((s) => [s.id, s.state]),
        [[id, 'SANDBOX_READY']],
        'the sandbox outlived its containerd',
      );
      await second.runtime.stopPodSandbox(id);
      await second.runtime.removePodSandbox(id);
    } finally {
      await second.stop();
    }
  } finally {
    for (const line of spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m && m[2]!.includes(dir)) spawnSync('kill', ['-9', m[1]!]);
    }
    for (const p of readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((p) => p.startsWith(dir))
      .reverse())
      spawnSync('umount', ['-l', p]);
    rmSync(dir, { recursive: true, force: true });
  }
});
