// Simulated nodes driven with the real kubectl against a real `skiff server`: node
// registration and the Kubernetes columns, pods running on a node with an IP from its pod
// CIDR, Jobs-like pods finishing, graceful deletion finished by the agent, a node failure
// (taints, eviction, recovery), and `skiff agent` joining from another process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SKIFF_BIN, startServer, type TestServer, kubectlOk } from '../helpers/server.js';
import { eventually as waitEventually } from '../helpers/wait.js';

const GRACE_S = 5;
let s: TestServer;

before(async () => {
  s = await startServer({ args: ['--simulated-nodes', '2', '--node-monitor-grace-period', `${GRACE_S}s`] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

const eventually = <T>(what: string, ms: number, fn: () => Promise<T | undefined>) => waitEventually(what, ms, fn, undefined, 250);

const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const off = toInt(ip) - toInt(base!);
  return off > 0 && off < size;
}

function podYaml(name: string, node: string, extra: { restartPolicy?: string; annotations?: Record<string, string>; tolerations?: unknown[] } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations: extra.annotations ?? {} },
    spec: {
      nodeName: node,
      restartPolicy: extra.restartPolicy ?? 'Always',
      tolerations: extra.tolerations,
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' } } }],
    },
  });
}

test('kubectl get nodes -o wide shows two Ready simulated nodes with the Kubernetes columns', async () => {
  const out = await eventually('two Ready nodes', 10_000, async () => {
    const o = await ok(['get', 'nodes', '-o', 'wide']);
    return (o.match(/\sReady\s/g) ?? []).length === 2 ? o : undefined;
  });
  const [header, ...rows] = out.trim().split('\n');
  assert.match(header!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
  assert.equal(rows.length, 2);
  for (const [i, row] of rows.entries()) {
    assert.match(
      row,
      new RegExp(`^sim-node-${i}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-skiff\\s+198\\.18\\.0\\.${i + 1}\\s+<none>\\s+.+simulated://1\\.0$`),
    );
  }
  const node = await json(['get', 'node', 'sim-node-0']);
  assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'sim-node-0');
  assert.equal(node.metadata.labels['kubernetes.io/os'], 'linux');
  assert.ok(node.metadata.labels['kubernetes.io/arch']);
  assert.deepEqual(node.status.capacity, { cpu: '8', memory: '32Gi', pods: '110' });
  assert.deepEqual(node.status.conditions.map((c: { type: string }) => c.type).sort(), ['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
  const lease = await json(['get', 'lease', '-n', 'kube-node-lease', 'sim-node-0']);
  assert.equal(lease.spec.holderIdentity, 'sim-node-0');
  assert.ok(lease.spec.renewTime);
});

test("a pod bound to a node goes Running with an IP from that node's pod CIDR; describe node shows it", async () => {
  await ok(['apply', '-f', '-'], podYaml('web', 'sim-node-0'));
  const pod = await eventually('web Running', 10_000, async () => {
    const p = await json(['get', 'pod', 'web']);
    return p.status.phase === 'Running' ? p : undefined;
  });
  const node = await json(['get', 'node', 'sim-node-0']);
  assert.ok(node.spec.podCIDR, 'node IPAM assigned a pod CIDR');
  assert.ok(inCidr(pod.status.podIP, node.spec.podCIDR), `${pod.status.podIP} in ${node.spec.podCIDR}`);
  assert.equal(pod.status.hostIP, '198.18.0.1');
  assert.equal(pod.status.qosClass, 'Burstable');
  assert.equal(pod.status.containerStatuses[0].ready, true);
  assert.match(pod.status.containerStatuses[0].containerID, /^simulated:\/\//);
  const other = await json(['get', 'node', 'sim-node-1']);
  assert.notEqual(other.spec.podCIDR, node.spec.podCIDR);

  const wide = await ok(['get', 'pod', 'web', '-o', 'wide']);
  assert.match(wide, new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${pod.status.podIP.replace(/\./g, '\\.')}\\s+sim-node-0`));

  const d = await ok(['describe', 'node', 'sim-node-0']);
  assert.match(d, /Capacity:\n\s+cpu:\s+8\n\s+memory:\s+32Gi\n\s+pods:\s+110/);
  assert.match(d, /Allocatable:\n\s+cpu:\s+8\n\s+memory:\s+32Gi\n\s+pods:\s+110/);
  assert.match(d, /Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status/);
  assert.match(d, /MemoryPressure\s+False/);
  assert.match(d, /Non-terminated Pods:\s+\(1 in total\)/);
  assert.match(d, /default\s+web\s+250m \(3%\)/);
  assert.match(d, /Lease:\n\s+HolderIdentity:\s+sim-node-0/);
});

test('restartPolicy Never completes after about a second; the exit-code annotation makes it Failed/Error', async () => {
  await ok(['apply', '-f', '-'], podYaml('once', 'sim-node-1', { restartPolicy: 'Never' }));
  await ok(['apply', '-f', '-'], podYaml('broken', 'sim-node-1', { restartPolicy: 'Never', annotations: { 'simulation.skiff.io/exit-code': '1' } }));
  const t0 = Date.now();
  await eventually('once Succeeded', 10_000, async () => ((await json(['get', 'pod', 'once'])).status.phase === 'Succeeded' ? true : undefined));
  assert.ok(Date.now() - t0 >= 500, 'it ran for about a second');
  const broken = await eventually('broken Failed', 10_000, async () => {
    const p = await json(['get', 'pod', 'broken']);
    return p.status.phase === 'Failed' ? p : undefined;
  });
  assert.equal(broken.status.containerStatuses[0].state.terminated.exitCode, 1);
  const table = await ok(['get', 'pods', 'once', 'broken']);
  assert.match(table, /once\s+0\/1\s+Completed\s+0/);
  assert.match(table, /broken\s+0\/1\s+Error\s+0/);
});

test('kubectl delete pod completes: the agent stops the containers and finishes the deletion', async () => {
  const t0 = Date.now();
  const out = await ok(['delete', 'pod', 'web', '--timeout=20s']);
  assert.match(out, /pod "web" deleted/);
  assert.ok(Date.now() - t0 < 15_000);
  const r = await s.kubectl(['get', 'pod', 'web']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotFound/);
});

test('node failure: no heartbeats → Unknown with the unreachable taint, short toleration evicted, back → Ready', async () => {
  await ok(
    ['apply', '-f', '-'],
    podYaml('short', 'sim-node-1', {
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }],
    }),
  );
  await ok(['apply', '-f', '-'], podYaml('patient', 'sim-node-1'));
  await eventually('pods Running', 10_000, async () => {
    const items = (await json(['get', 'pods', 'short', 'patient'])).items;
    return items.every((p: { status: { phase: string } }) => p.status.phase === 'Running') ? true : undefined;
  });
  const patient = await json(['get', 'pod', 'patient']);
  assert.ok(
    patient.spec.tolerations.some((t: { key: string; tolerationSeconds: number }) => t.key === 'node.kubernetes.io/unreachable' && t.tolerationSeconds === 300),
    'DefaultTolerationSeconds added the 300 s toleration',
  );

  await ok(['annotate', 'node', 'sim-node-1', 'simulation.skiff.io/stop-heartbeats=true']);
  const t0 = Date.now();
  const node = await eventually('sim-node-1 NotReady', (GRACE_S + 5) * 1000 + 2000, async () => {
    const n = await json(['get', 'node', 'sim-node-1']);
    const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    return ready.status === 'Unknown' && (n.spec.taints ?? []).length === 2 ? n : undefined;
  });
  assert.ok(Date.now() - t0 <= (GRACE_S + 5) * 1000 + 1000, `NotReady after ${Date.now() - t0} ms`);
  const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(ready.reason, 'NodeStatusUnknown');
  assert.equal(ready.message, 'Kubelet stopped posting node status.');
  assert.deepEqual(node.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort(), [
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/unreachable:NoSchedule',
  ]);
  assert.match(await ok(['get', 'node', 'sim-node-1']), /sim-node-1\s+NotReady/);
  assert.match(await ok(['get', 'node', 'sim-node-0']), /sim-node-0\s+Ready/, 'the other node stays Ready');

  // Evicted: marked for deletion; the cut-off agent cannot finish that until it is back.
  const evicted = await eventually('short evicted', 10_000, async () => {
    const p = await json(['get', 'pod', 'short']);
    return p.metadata.deletionTimestamp ? p : undefined;
  });
  assert.ok(evicted.status.conditions.some((c: { type: string; reason?: string }) => c.type === 'DisruptionTarget' && c.reason === 'DeletionByTaintManager'));
  const kept = await json(['get', 'pod', 'patient']);
  assert.equal(kept.metadata.deletionTimestamp, undefined, 'the 300 s toleration keeps the other pod');
  assert.equal(kept.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'False', 'pods of an unreachable node are not ready');
  const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=short']);
  assert.match(events, /TaintManagerEviction/);

  await ok(['annotate', 'node', 'sim-node-1', 'simulation.skiff.io/stop-heartbeats-']);
  const back = await eventually('sim-node-1 Ready again', 10_000, async () => {
    const n = await json(['get', 'node', 'sim-node-1']);
    const r = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    return r.status === 'True' && !(n.spec.taints ?? []).length ? n : undefined;
  });
  assert.equal(back.spec.taints, undefined);
  // Back in touch, the agent finishes the eviction and reports its other pod ready again.
  await eventually('short gone', 10_000, async () => {
    const r = await s.kubectl(['get', 'pod', 'short']);
    return r.code !== 0 && /NotFound/.test(r.stderr) ? true : undefined;
  });
  await eventually('patient ready again', 10_000, async () => {
    const p = await json(['get', 'pod', 'patient']);
    return p.status.conditions.find((c: { type: string }) => c.type === 'Ready').status === 'True' ? true : undefined;
  });
});

const victimSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'victim', namespace: 'default', labels: { 'kubernetes.io/service-name': 'victim' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.1.1.1'] }],
};

function runAgentOnce(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [SKIFF_BIN, 'agent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, stderr });
    });
  });
}

test('skiff agent stops with an error naming --kubelet-port when that port is taken, instead of taking another', async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
  try {
    const port = (taken.address() as net.AddressInfo).port;
    const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
    const r = await runAgentOnce([
      '--server',
      s.url,
      '--token',
      token,
      '--node-name',
      'port-taken',
      '--node-ip',
      '127.0.0.1',
      '--runtime',
      'simulated',
      '--data-dir',
      join(s.dataDir, 'port-agent'),
      '--kubelet-port',
      String(port),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /WARNING: the join token given with --token is visible to every user of this host \(ps\); use --token-file or SKIFF_TOKEN/);
    assert.match(r.stderr, new RegExp(`port ${port} is taken .*--kubelet-port, or --kubelet-port 0 for any free port`));
  } finally {
    taken.close();
  }
});

test('skiff agent refuses a server whose CA does not match the token; the join secret alone cannot act as a node', async () => {
  const secret = readFileSync(join(s.dataDir, 'token'), 'utf8').trim().split('::server:')[1]!;
  const bad = await runAgentOnce([
    '--server',
    s.url,
    '--token',
    `K10${'0'.repeat(64)}::server:${secret}`,
    '--node-name',
    'x',
    '--data-dir',
    join(s.dataDir, 'bad-agent'),
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /does not match the hash in the token/);
  const ca = readFileSync(join(s.dataDir, 'tls', 'ca.crt'), 'utf8');
  const status = (token: string) =>
    new Promise<number>((res, rej) => {
      https
        .get(`${s.url}/api/v1/nodes`, { ca, headers: { Authorization: `Bearer ${token}` } }, (r) => {
          r.resume();
          res(r.statusCode ?? 0);
        })
        .on('error', rej);
    });
  assert.equal(await status('node:x:wrong'), 401);
  assert.equal(await status(`node:x:${secret}`), 401, 'the node:<name>:<secret> bearer form is gone');
  assert.equal(await status(secret), 403, 'the secret is a bootstrap token: it may ask for a certificate, not list nodes');
});

test('skiff agent --runtime simulated joins from another process with the server token', async () => {
  const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
  assert.match(token, /^K10[0-9a-f]{64}::server:\S+$/);
  const agent = spawn(
    process.execPath,
    [
      SKIFF_BIN,
      'agent',
      '--server',
      s.url,
      '--data-dir',
      join(s.dataDir, 'agent'),
      '--node-name',
      'joined-node',
      '--node-ip',
      '127.0.0.1',
      '--runtime',
      'simulated',
      '--kubelet-port',
      '0',
    ],
    // The token through the environment, where ps does not show it.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_TOKEN: token } },
  );
  let err = '';
  agent.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  try {
    await eventually('joined-node Ready', 30_000, async () => {
      const o = await ok(['get', 'nodes']);
      return /joined-node\s+Ready/.test(o) ? true : undefined;
    }).catch((e) => assert.fail(`${(e as Error).message}\n${err}`));
    await ok(['apply', '-f', '-'], podYaml('remote', 'joined-node'));
    const pod = await eventually('remote Running', 10_000, async () => {
      const p = await json(['get', 'pod', 'remote']);
      return p.status.phase === 'Running' ? p : undefined;
    });
    const node = await json(['get', 'node', 'joined-node']);
    assert.ok(inCidr(pod.status.podIP, node.spec.podCIDR));
    assert.equal(node.status.nodeInfo.containerRuntimeVersion, 'simulated://1.0');
    await ok(['delete', 'pod', 'remote', '--timeout=20s']);
    // After the bootstrap the agent speaks as system:node:joined-node (its serving CSR shows who asked).
    const csrs = (await json(['get', 'csr'])).items as { spec: { signerName: string; username: string } }[];
    assert.deepEqual(
      // Other tests' agents ask for theirs too: only this node's request counts here.
      csrs.filter((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username.endsWith(':joined-node')).map((c) => c.spec.username),
      ['system:node:joined-node'],
    );
    assert.doesNotMatch(err, /visible to every user/);

    // Its DNS runs as an identity of its own, on a certificate the node asked for.
    const dnsCert = await eventually('a signed certificate for the joined node’s DNS', 20_000, async () => {
      const all = (await json(['get', 'csr'])).items as { spec: { signerName: string; username: string }; status?: { certificate?: string } }[];
      const mine = all.filter((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client' && c.spec.username === 'system:node:joined-node');
      const subjects = mine.filter((c) => c.status?.certificate).map((c) => new X509Certificate(Buffer.from(c.status!.certificate!, 'base64')).subject);
      return subjects.find((x) => x === 'O=system:skiff-dns\nCN=system:skiff-dns:joined-node');
    });
    assert.ok(dnsCert);
    // The node's own certificate may not rewrite an EndpointSlice (which would redirect a Service's traffic).
    await ok(['apply', '-f', '-'], JSON.stringify(victimSlice));
    const pki = join(s.dataDir, 'agent', 'agent', 'pki');
    const slicePath = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/victim';
    const current = await json(['get', 'endpointslice', 'victim']);
    const put = await new Promise<{ code: number; body: string }>((res, rej) => {
      const req = https.request(
        `${s.url}${slicePath}`,
        {
          method: 'PUT',
          ca: readFileSync(join(s.dataDir, 'tls', 'ca.crt')),
          cert: readFileSync(join(pki, 'kubelet-client.crt')),
          key: readFileSync(join(pki, 'kubelet-client.key')),
          headers: { 'content-type': 'application/json' },
        },
        (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => res({ code: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', rej);
      req.end(JSON.stringify({ ...current, endpoints: [{ addresses: ['10.9.9.9'] }] }));
    });
    assert.equal(put.code, 403, put.body);
    assert.match(JSON.parse(put.body).message, /User "system:node:joined-node" cannot update resource "endpointslices"/);
    await ok(['delete', 'endpointslice', 'victim']);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
});
