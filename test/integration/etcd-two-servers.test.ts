// Two `skiff server` processes on one real etcd, driven by the real kubectl: both serve
// the same objects (reads and watches), exactly one runs the scheduler and the controller
// manager, and when that one is killed the other takes both leases within 15 s and runs
// the cluster on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdBinary, startEtcd, type RunningEtcd } from '../helpers/etcd.js';
import { SKIFF_BIN, startServer, type TestServer } from '../helpers/server.js';
import { createServer } from 'node:net';

const LEASES = ['kube-controller-manager', 'kube-scheduler'] as const;

async function holders(s: TestServer): Promise<Record<string, string>> {
  const r = await s.kubectl(
    ['-n', 'kube-system', 'get', 'leases', ...LEASES, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.holderIdentity}{"\\n"}{end}'],
    { timeoutMs: 5000 },
  );
  if (r.code !== 0) throw new Error(`kubectl get leases: ${r.stderr}`);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** Pods of an app label that are bound to a node and Running, as "name@node". */
async function runningPods(s: TestServer, app: string): Promise<string[]> {
  const r = await s.kubectl(
    ['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name}@{.spec.nodeName}@{.status.phase}{"\\n"}{end}'],
    { timeoutMs: 5000 },
  );
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.endsWith('@Running'))
    .map((l) => l.slice(0, l.lastIndexOf('@')));
}

test('two servers on one etcd: shared objects, one active scheduler and controller manager, takeover within 15 s', {
  skip: etcdBinary() ? undefined : 'needs the etcd binary (Debian etcd-server)',
  timeout: 150_000,
}, async (t) => {
  let etcd: RunningEtcd | undefined;
  let a: TestServer | undefined;
  let b: TestServer | undefined;
  const dirB = mkdtempSync(join(tmpdir(), 'skiff-test-b-'));
  try {
    etcd = await startEtcd();
    const datastore = ['--datastore-endpoint', etcd.endpoint];
    // A starts alone and so leads; it has no nodes, so pods can only run on B's.
    // Documentation addresses (RFC 5737) to publish in the `kubernetes` Endpoints: only
    // written into objects; with no node agent here nothing ever connects to them.
    a = await startServer({ args: [...datastore, '--advertise-address', '192.0.2.1'] });
    const leaderA = await eventually('A holds both leases', 10_000, async () => {
      const h = await holders(a!);
      return h['kube-controller-manager'] && h['kube-controller-manager'] === h['kube-scheduler'] ? h['kube-controller-manager'] : undefined;
    });

    // B joins the same cluster: same CA and keys (DATA_DIR/tls) and join token, as documented.
    cpSync(join(a.dataDir, 'tls'), join(dirB, 'tls'), { recursive: true });
    cpSync(join(a.dataDir, 'token'), join(dirB, 'token'));
    b = await startServer({ dataDir: dirB, args: [...datastore, '--simulated-nodes', '2', '--advertise-address', '192.0.2.2'] });

    // Starting B redid nothing: one set of system namespaces, one `kubernetes` Service.
    const ns = await b.kubectl(['get', 'namespaces', '-o', 'name']);
    assert.deepEqual(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
    // (kube-dns is kept by every server: one object whichever creates it.)
    const svc = await a.kubectl(['get', 'services', '-A', '-o', 'name']);
    assert.deepEqual(
      svc.stdout
        .trim()
        .split('\n')
        .filter((l) => l !== 'service/kube-dns'),
      ['service/kubernetes'],
    );
    // The `kubernetes` Endpoints list both servers (one subset per port: theirs differ here).
    const endpointIPs = async () =>
      (await b!.kubectl(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).stdout.trim().split(/\s+/).sort().join(' ');
    assert.equal(await endpointIPs(), '192.0.2.1 192.0.2.2');
    // A's kubeconfig (its CA and admin client cert) is good for B too.
    const viaA = await a.kubectl(['--server', b.url, 'get', 'nodes', '-o', 'name']);
    assert.equal(viaA.code, 0, viaA.stderr);
    assert.deepEqual(viaA.stdout.trim().split('\n').sort(), ['node/sim-node-0', 'node/sim-node-1']);

    // Objects written through one are seen through the other, by get and by watch.
    assert.equal((await b.kubectl(['create', 'configmap', 'marker'])).code, 0);
    const home = join(b.dataDir, 'kubectl-home');
    const watch = spawn('kubectl', ['--kubeconfig', b.kubeconfig, 'get', 'configmaps', '-w', '-o', 'name', '--request-timeout', '60s'], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let watched = '';
    watch.stdout!.on('data', (d) => (watched += d));
    try {
      // The watch starts with a list of what exists; once the marker is listed, it is watching.
      await eventually('the watch is established', 10_000, async () => watched.includes('configmap/marker'));
      const created = await a.kubectl(['create', 'configmap', 'from-a', '--from-literal=k=v']);
      assert.equal(created.code, 0, created.stderr);
      const got = await b.kubectl(['get', 'configmap', 'from-a', '-o', 'jsonpath={.data.k}']);
      assert.equal(got.stdout, 'v');
      await eventually("B's watch sees the configmap created through A", 10_000, async () => watched.includes('configmap/from-a'));
    } finally {
      watch.kill();
    }

    // Exactly one active scheduler and controller manager: A's; B's stay idle.
    const h = await holders(b);
    assert.deepEqual(h, { 'kube-controller-manager': leaderA, 'kube-scheduler': leaderA });
    assert.doesNotMatch(b.logs(), /became the controller manager leader|became leader; scheduling/);
    assert.match(a.logs(), /became the controller manager leader/);
    assert.match(a.logs(), /became leader; scheduling/);

    // A deployment created through B is rolled out by the leader, A.
    assert.equal((await b.kubectl(['create', 'deployment', 'first', '--image=busybox', '--replicas=2'])).code, 0);
    const firstPods = await eventually("the first deployment's pods run", 30_000, async () => {
      const p = await runningPods(b!, 'first');
      return p.length === 2 ? p : undefined;
    });
    assert.ok(
      firstPods.every((p) => /@sim-node-[01]$/.test(p)),
      firstPods.join(' '),
    );

    // kill -9 the leader: B takes over both leases within 15 s.
    await a.stop(true);
    const died = Date.now();
    const took: Record<string, number> = {};
    await eventually('B holds both leases', 25_000, async () => {
      const now = await holders(b!);
      for (const l of LEASES) if (!(l in took) && now[l] && now[l] !== leaderA) took[l] = (Date.now() - died) / 1000;
      return Object.keys(took).length === LEASES.length;
    });
    // B's own log says when it took each lease; kubectl polling on a loaded machine only adds delay.
    const loggedAt = (msg: string) => {
      for (const line of b!.logs().split('\n')) {
        if (!line.includes(msg)) continue;
        const time = Date.parse((JSON.parse(line) as { time: string }).time);
        if (time >= died) return (time - died) / 1000;
      }
      return undefined;
    };
    took['kube-controller-manager'] = loggedAt('became the controller manager leader') ?? took['kube-controller-manager']!;
    took['kube-scheduler'] = loggedAt('became leader; scheduling') ?? took['kube-scheduler']!;
    t.diagnostic(
      `takeover after kill -9: controller manager ${took['kube-controller-manager']!.toFixed(1)} s, scheduler ${took['kube-scheduler']!.toFixed(1)} s`,
    );
    for (const l of LEASES) assert.ok(took[l]! <= 15, `${l} taken over after ${took[l]} s`);
    assert.match(b.logs(), /became the controller manager leader/);
    assert.match(b.logs(), /became leader; scheduling/);

    // B now runs the cluster: a new deployment is created, scheduled and running.
    assert.equal((await b.kubectl(['create', 'deployment', 'second', '--image=busybox', '--replicas=3'])).code, 0);
    const secondPods = await eventually("the second deployment's pods are scheduled and run", 30_000, async () => {
      const p = await runningPods(b!, 'second');
      return p.length === 3 ? p : undefined;
    });
    assert.ok(
      secondPods.every((p) => /@sim-node-[01]$/.test(p)),
      secondPods.join(' '),
    );
    const status = await b.kubectl(['rollout', 'status', 'deployment/second', '--timeout=20s']);
    assert.equal(status.code, 0, status.stderr);

    // The dead server leaves the `kubernetes` Endpoints once its record is not renewed for
    // 15 s, seen at B's next 10 s reconcile.
    await eventually('A leaves the kubernetes Endpoints', 30_000, async () => (await endpointIPs()) === '192.0.2.2');
    t.diagnostic(`the killed server left the kubernetes Endpoints after ${((Date.now() - died) / 1000).toFixed(1)} s`);
  } finally {
    await a?.cleanup();
    await b?.cleanup();
    rmSync(dirB, { recursive: true, force: true });
    await etcd?.stop();
  }
});

/** Runs `skiff server` expecting it to refuse to start; returns its exit code and stderr. */
function refusedStart(args: string[], dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SKIFF_BIN, 'server', '--disable-agent', '--data-dir', dataDir, '--https-port', '0', '--bind-address', '127.0.0.1', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`skiff server did not exit within 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('a server that does not belong to the cluster in etcd, or cannot reach etcd, refuses to start and says why', {
  skip: etcdBinary() ? undefined : 'needs the etcd binary (Debian etcd-server)',
  timeout: 90_000,
}, async () => {
  let etcd: RunningEtcd | undefined;
  let a: TestServer | undefined;
  const stranger = mkdtempSync(join(tmpdir(), 'skiff-test-c-'));
  try {
    etcd = await startEtcd();
    a = await startServer({ args: ['--datastore-endpoint', etcd.endpoint] });
    // Its own data dir: its own CA and token.
    const r = await refusedStart(['--datastore-endpoint', etcd.endpoint], stranger);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`does not match the cluster already in ${etcd.endpoint}: caFingerprint is [0-9a-f]{64} there but [0-9a-f]{64} here: copy DATA_DIR/tls`),
    );
    // The refused server changed nothing: the cluster still works through A.
    assert.equal((await a.kubectl(['get', 'namespaces', 'default', '-o', 'name'])).stdout.trim(), 'namespace/default');

    // An etcd nobody listens at: a loopback port that was just free.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const down = await refusedStart(['--datastore-endpoint', `http://127.0.0.1:${port}`], stranger);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`skiff server: etcd at http://127\\.0\\.0\\.1:${port} is not reachable`));
    const bad = await refusedStart(['--datastore-endpoint', 'etcd.example:2379'], stranger);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unsupported --datastore-endpoint "etcd\.example:2379"/);
  } finally {
    await a?.cleanup();
    rmSync(stranger, { recursive: true, force: true });
    await etcd?.stop();
  }
});
