// A real `skiff server` whose node agents (this host's, simulated, and two simulated nodes)
// run in its process as their nodes: they still register, heartbeat and run pods, and the
// identities of the components answer `kubectl auth can-i` as their bootstrap roles say.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';
import { eventually as waitEventually } from '../helpers/wait.js';

let s: TestServer;

before(async () => {
  s = await startServer({ agent: true, args: ['--simulated-nodes', '2', '--node-name', 'host-node'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);
const eventually = <T>(what: string, ms: number, fn: () => Promise<T | undefined>) => waitEventually(what, ms, fn, () => s.logs());

async function canI(...args: string[]): Promise<string> {
  const r = await s.kubectl(['auth', 'can-i', ...args]);
  // can-i exits 1 for "no": the answer is on stdout either way, a refusal with the authorizer's reason after it.
  return r.stdout.trim().split(' ')[0]!;
}

test('the in-process node agents, each as its node, register, stay Ready and run pods', async () => {
  await eventually('three Ready nodes', 30_000, async () => {
    const o = await ok(['get', 'nodes', '--no-headers']);
    return (o.match(/\sReady\s/g) ?? []).length === 3 ? o : undefined;
  });
  // A Deployment's pods spread over the nodes; each node's agent writes its pods' status as itself.
  await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=6']);
  const pods = await eventually('six Running pods', 30_000, async () => {
    const list = JSON.parse(await ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as { spec: { nodeName?: string }; status: { phase?: string } }[];
    return list.length === 6 && list.every((p) => p.status.phase === 'Running') ? list : undefined;
  });
  assert.ok(new Set(pods.map((p) => p.spec.nodeName)).size >= 2, 'pods run on more than one node');
  // Leases are renewed by each node as itself (NodeRestriction allows only its own).
  const leases = await eventually('three node leases', 20_000, async () => {
    const o = await ok(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
    return o.trim().split('\n').length === 3 ? o : undefined;
  });
  for (const n of ['host-node', 'sim-node-0', 'sim-node-1']) assert.match(leases, new RegExp(`lease\\.coordination\\.k8s\\.io/${n}$`, 'm'));
  // Deleted pods are finished by their nodes (the last delete is the agent's, allowed only for its own pods).
  await ok(['delete', 'deployment', 'web', '--wait=false']);
  await eventually('the pods gone', 30_000, async () => ((await ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim() === '' ? true : undefined));
  assert.doesNotMatch(s.logs(), /cannot (create|patch|update|delete|get|list|watch) resource/, 'no component was refused');
});

test('kubectl auth can-i for the components: the proxy lists EndpointSlices and creates no pods', async () => {
  assert.equal(await canI('list', 'endpointslices.discovery.k8s.io', '--as=system:kube-proxy'), 'yes');
  assert.equal(await canI('create', 'pods', '--as=system:kube-proxy'), 'no');
  assert.equal(await canI('get', 'secrets', '-n', 'kube-system', '--as=system:serviceaccount:kube-system:coredns'), 'no');
  assert.equal(await canI('list', 'services', '--as=system:serviceaccount:kube-system:coredns'), 'yes');
  assert.equal(await canI('update', 'services', '--subresource=status', '--as=system:serviceaccount:kube-system:servicelb'), 'yes');
  assert.equal(await canI('create', 'pods', '--as=system:serviceaccount:kube-system:servicelb'), 'no');
  assert.equal(await canI('create', 'persistentvolumes', '--as=system:serviceaccount:kube-system:local-path-provisioner-service-account'), 'yes');
  assert.equal(await canI('get', 'secrets', '--as=system:serviceaccount:kube-system:local-path-provisioner-service-account'), 'no');
  assert.equal(await canI('get', 'nodes/metrics', '--as=system:serviceaccount:kube-system:metrics-server'), 'yes');
});

test("a node identity may not read another node's pod's Secret nor patch another Node", async () => {
  await ok(['create', 'secret', 'generic', 'only-host', '--from-literal=k=v']);
  await ok(['apply', '-f', '-'], podWithSecret('uses-secret', 'host-node', 'only-host'));
  await eventually('the pod is bound', 10_000, async () =>
    (await ok(['get', 'pod', 'uses-secret', '-o', 'jsonpath={.spec.nodeName}'])) === 'host-node' ? true : undefined,
  );
  const asNode = (n: string) => [`--as=system:node:${n}`, '--as-group=system:nodes'];
  assert.equal(await canI('get', 'secret/only-host', ...asNode('host-node')), 'yes');
  assert.equal(await canI('get', 'secret/only-host', ...asNode('sim-node-0')), 'no');
  const r = await s.kubectl(['label', 'node', 'sim-node-1', 'stolen=yes', ...asNode('sim-node-0')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /node "sim-node-0" is not allowed to modify node "sim-node-1"/);
  // Its own Node, yes, but not the labels that steer workloads (NodeRestriction).
  await ok(['label', 'node', 'sim-node-0', 'team=blue', ...asNode('sim-node-0')]);
  const steer = await s.kubectl(['label', 'node', 'sim-node-0', 'node-restriction.kubernetes.io/trusted=yes', ...asNode('sim-node-0')]);
  assert.notEqual(steer.code, 0);
  assert.match(steer.stderr, /nodes "sim-node-0" is forbidden: is not allowed to modify labels: node-restriction\.kubernetes\.io\/trusted/);
});

test("the server, not the host's node, gives that node its control-plane role labels", async () => {
  const rows = await eventually('host-node with its roles', 10_000, async () => {
    const o = await ok(['get', 'nodes', '--no-headers']);
    return /^host-node\s+Ready\s+control-plane,master\s/m.test(o) ? o : undefined;
  });
  assert.match(rows, /^sim-node-0\s+Ready\s+<none>\s/m);
  // The node itself could not have: NodeRestriction keeps node-role labels from kubelets.
  const r = await s.kubectl(['label', 'node', 'host-node', 'node-role.kubernetes.io/worker=true', '--as=system:node:host-node', '--as-group=system:nodes']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /is not allowed to modify labels: node-role\.kubernetes\.io\/worker/);
  assert.doesNotMatch(s.logs(), /could not label this node as the control plane/);
});

function podWithSecret(name: string, node: string, secret: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 's', secret: { secretName: secret } }] },
  });
}
