// pods/log, pods/exec, pods/portforward and nodes/proxy with the real kubectl, through the
// apiserver to a node agent's HTTPS server (simulated runtime: no processes, so the checks,
// the routing, the certificates and the error paths are what is exercised here; real
// containers are test/e2e/streaming.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { SimulatedRuntime } from '../../src/kubelet/runtime/simulated.js';
import { startStreamingCluster, type StreamingCluster } from '../helpers/streaming-cluster.js';

let c: StreamingCluster;

before(async () => {
  c = await startStreamingCluster(new SimulatedRuntime({ hostIP: '127.0.0.1' }));
});
after(async () => {
  await c?.close();
});

async function untilOk(args: string[], ok: (out: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await c.kubectl(args);
    last = r.stdout + r.stderr;
    if (r.code === 0 && ok(r.stdout)) return r.stdout;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`timed out waiting for ${what}; last output: ${last}`);
}

function pod(name: string, nodeName: string | undefined, containers = ['web']): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((n) => ({ name: n, image: 'busybox' })) },
  });
}

test('the node reports its agent server port, and discovery lists the streaming subresources', async () => {
  const port = await untilOk(['get', 'node', c.nodeName, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}'], (o) => o !== '', 'node');
  assert.equal(Number(port), c.agent.port);
  const v1 = JSON.parse((await c.kubectl(['get', '--raw', '/api/v1'])).stdout) as { resources: { name: string; kind: string; verbs: string[] }[] };
  const byName = new Map(v1.resources.map((r) => [r.name, r]));
  assert.deepEqual(byName.get('pods/exec')?.verbs, ['create', 'get']);
  assert.equal(byName.get('pods/exec')?.kind, 'PodExecOptions');
  assert.deepEqual(byName.get('pods/log')?.verbs, ['get']);
  assert.deepEqual(byName.get('pods/attach')?.verbs, ['create', 'get']);
  assert.deepEqual(byName.get('pods/portforward')?.verbs, ['create', 'get']);
  assert.equal(byName.get('nodes/proxy')?.kind, 'NodeProxyOptions');
});

test('kubectl logs: checks against the pod as Kubernetes words them, then the agent serves the log', async () => {
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: pod('web', c.nodeName) })).code, 0);
  await untilOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.containerStatuses[0].state.running.startedAt}'], (o) => o !== '', 'web running');

  // kubectl checks the name itself first; the server's answer is the same words.
  const bad = await c.kubectl(['logs', 'web', '-c', 'nope']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /container nope is not valid for pod web/);
  const raw = await c.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web/log?container=nope']);
  assert.match(raw.stderr, /Error from server \(BadRequest\): container nope is not valid for pod web/);

  const prev = await c.kubectl(['logs', 'web', '--previous']);
  assert.notEqual(prev.code, 0);
  assert.match(prev.stderr, /previous terminated container "web" in pod "web" not found/);

  // The simulated runtime keeps no log file: the agent answers, with nothing to show.
  const logs = await c.kubectl(['logs', 'web', '--tail=10', '--timestamps']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, '');

  const badQuery = await c.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web/log?tailLines=-3']);
  assert.notEqual(badQuery.code, 0);
  assert.match(badQuery.stderr, /tailLines: Invalid value: -3: must be greater than or equal to 0/);
});

test('kubectl logs of a pod with two containers names the choices', async () => {
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: pod('two', c.nodeName, ['a', 'b']) })).code, 0);
  const r = await c.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/two/log']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /a container name must be specified for pod two, choose one of: \[a b\]/);
});

test("kubectl exec: an unscheduled pod has no host; the runtime's refusal comes back to kubectl", async () => {
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: pod('pending', undefined) })).code, 0);
  const r = await c.kubectl(['exec', 'pending', '--', 'ls']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /pod pending does not have a host assigned/);
  const empty = await c.kubectl(['logs', 'pending']);
  assert.equal(empty.code, 0, 'kube-apiserver streams nothing for a pod without a node');
  assert.equal(empty.stdout, '');

  // Through apiserver and agent to the runtime, which runs no processes here.
  const e = await c.kubectl(['exec', 'web', '--', 'cat', '/etc/hostname']);
  assert.notEqual(e.code, 0);
  assert.match(e.stderr, /the simulated runtime runs no processes: nothing to exec in/);
  const bad = await c.kubectl(['exec', 'web', '-c', 'nope', '--', 'ls']);
  assert.match(bad.stderr, /container nope is not valid for pod web/);
});

test('nodes/proxy reaches the agent: /healthz and /pods', async () => {
  const h = await c.kubectl(['get', '--raw', `/api/v1/nodes/${c.nodeName}/proxy/healthz`]);
  assert.equal(h.code, 0, h.stderr);
  assert.equal(h.stdout, 'ok');
  const pods = JSON.parse((await c.kubectl(['get', '--raw', `/api/v1/nodes/${c.nodeName}/proxy/pods`])).stdout) as {
    kind: string;
    items: { metadata: { name: string } }[];
  };
  assert.equal(pods.kind, 'PodList');
  assert.ok(pods.items.some((p) => p.metadata.name === 'web'));
});

test('a node without an agent server is never dialled', async () => {
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'no-server' } };
  assert.equal((await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(node) })).code, 0);
  // Made-up address, port 0: the apiserver must refuse before any connection.
  const status = { status: { addresses: [{ type: 'InternalIP', address: '198.18.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 0 } } } };
  assert.equal((await c.kubectl(['patch', 'node', 'no-server', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])).code, 0);
  const r = await c.kubectl(['get', '--raw', '/api/v1/nodes/no-server/proxy/healthz']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /node "no-server" has no node agent server to connect to/);
});

function agentGet(path: string, cert?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: c.agent.port, path, rejectUnauthorized: false, ...(cert ?? {}) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

test('the agent server lets in only the apiserver (and cluster admins)', async () => {
  assert.deepEqual(await agentGet('/healthz', { cert: c.pki.kubeletClientCert, key: c.pki.kubeletClientKey }), { status: 200, body: 'ok' });
  assert.equal((await agentGet('/healthz', { cert: c.pki.adminCert, key: c.pki.adminKey })).status, 200);
  const node = await c.pki.issueClientCert('system:node:other', ['system:nodes']);
  const denied = await agentGet('/containerLogs/default/web/web', node);
  assert.equal(denied.status, 403);
  assert.match(denied.body, /Forbidden \(user=system:node:other/);
  // No client certificate: the TLS handshake itself is refused.
  await assert.rejects(agentGet('/healthz'));
});
