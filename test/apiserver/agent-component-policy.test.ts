// The policy for a joined agent's proxy, DNS and ingress: the node identity itself may not
// write EndpointSlices; the components' own identities may do what their roles allow; a
// node's DNS identity writes only its own node's kube-dns slice; and reconciliation takes
// system:nodes out of the bindings that earlier versions gave it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../src/api/builtin.js';
import type { KObject } from '../../src/api/types.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { reconcileBootstrapPolicy } from '../../src/apiserver/auth/rbac/reconcile.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { ADMIN, NODE_A, handlerCalls, user } from '../helpers/handler-calls.js';

let api: ApiServer;
const { call, fails, canI } = handlerCalls(() => api);

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as any).bootstrap();
  await api.authorization.start();
  await call(ADMIN, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
});

after(async () => {
  await api.stop();
});

describe("a joined agent's node identity and its components' own", () => {
  it("the node may not write EndpointSlices nor read Ingresses; the agents' proxy, DNS and ingress identities may do what their roles allow", async () => {
    const dnsA = user('system:skiff-dns:node-a', 'system:skiff-dns');
    const ingressA = user('system:skiff-ingress:node-a', 'system:skiff-ingress');
    const proxy = user('system:kube-proxy');
    for (const verb of ['create', 'update', 'delete']) {
      assert.equal(await canI(NODE_A, verb, 'endpointslices', 'kube-system', { group: 'discovery.k8s.io' }), false, `node ${verb} endpointslices`);
      assert.equal(await canI(dnsA, verb, 'endpointslices', 'kube-system', { group: 'discovery.k8s.io' }), true, `dns ${verb} endpointslices`);
      assert.equal(await canI(proxy, verb, 'endpointslices', 'default', { group: 'discovery.k8s.io' }), false, `proxy ${verb} endpointslices`);
      assert.equal(await canI(ingressA, verb, 'endpointslices', 'default', { group: 'discovery.k8s.io' }), false, `ingress ${verb} endpointslices`);
    }
    assert.equal(await canI(NODE_A, 'list', 'endpointslices', undefined, { group: 'discovery.k8s.io' }), false);
    assert.equal(await canI(proxy, 'watch', 'endpointslices', undefined, { group: 'discovery.k8s.io' }), true);
    assert.equal(await canI(NODE_A, 'list', 'ingresses', undefined, { group: 'networking.k8s.io' }), false);
    assert.equal(await canI(ingressA, 'update', 'ingresses/status', 'team-a', { group: 'networking.k8s.io' }), true);
    // The agents' ingress identity reads no Secrets (any node may obtain it).
    assert.equal(await canI(ingressA, 'list', 'secrets', 'team-a'), false);
    const err = await fails(NODE_A, 'POST', '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kube-dns-evil' },
      addressType: 'IPv4',
      endpoints: [],
    });
    assert.equal(err.code, 403);
  });

  it("lets a joined agent's DNS identity write only its own node's kube-dns slice, for kube-dns and its own node", async () => {
    const dnsA = user('system:skiff-dns:node-a', 'system:skiff-dns');
    const slices = (namespace: string) => `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
    const slice = (name: string, service = 'kube-dns', nodeName = 'node-a') => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.5'], nodeName }],
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    });
    await call(dnsA, 'POST', slices('kube-system'), slice('kube-dns-node-a'));
    await call(dnsA, 'PUT', `${slices('kube-system')}/kube-dns-node-a`, {
      ...(await call(dnsA, 'GET', `${slices('kube-system')}/kube-dns-node-a`)),
      endpoints: [{ addresses: ['10.0.0.6'], nodeName: 'node-a' }],
    });
    const created = await call(dnsA, 'GET', `${slices('kube-system')}/kube-dns-node-a`);
    const refusals: [string, string, unknown][] = [
      ['POST', slices('kube-system'), slice('kube-dns-node-b', 'kube-dns', 'node-b')],
      ['POST', slices('team-a'), slice('kube-dns-node-a')],
      ['POST', slices('kube-system'), slice('metrics-x', 'metrics-server')],
      [
        'PUT',
        `${slices('kube-system')}/kube-dns-node-a`,
        { ...created, metadata: { ...created.metadata, labels: { 'kubernetes.io/service-name': 'metrics-server' } } },
      ],
      ['PUT', `${slices('kube-system')}/kube-dns-node-a`, { ...created, endpoints: [{ addresses: ['10.0.0.7'], nodeName: 'node-b' }] }],
    ];
    for (const [method, path, body] of refusals) {
      const err = await fails(dnsA, method, path, body);
      assert.equal(err.code, 403, `${method} ${path}`);
      assert.match(err.message, /user "system:skiff-dns:node-a" can only/);
    }
    await call(ADMIN, 'POST', slices('kube-system'), slice('kube-dns-node-b', 'kube-dns', 'node-b'));
    assert.equal((await fails(dnsA, 'DELETE', `${slices('kube-system')}/kube-dns-node-b`)).code, 403);
    await call(dnsA, 'DELETE', `${slices('kube-system')}/kube-dns-node-a`);
    await call(ADMIN, 'DELETE', `${slices('kube-system')}/kube-dns-node-b`);
  });

  it("takes system:nodes out of the agents' proxy, DNS and ingress bindings an earlier version made, keeping other subjects", async () => {
    const path = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/';
    const nodes = { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:nodes' };
    const extra = { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'dns-operator' };
    const dns = await call(ADMIN, 'GET', `${path}skiff:cluster-dns`);
    await call(ADMIN, 'PATCH', `${path}skiff:cluster-dns`, { subjects: [...dns.subjects, nodes, extra] });
    const proxier = await call(ADMIN, 'GET', `${path}skiff:agents-node-proxier`);
    await call(ADMIN, 'PATCH', `${path}skiff:agents-node-proxier`, { subjects: [...proxier.subjects, nodes] });
    // Not retired elsewhere: the node group keeps what else it is bound to.
    const rotation = await call(ADMIN, 'GET', `${path}skiff:node-autoapprove-certificate-rotation`);
    assert.ok(rotation.subjects.some((s: KObject) => s.name === 'system:nodes'));
    await reconcileBootstrapPolicy(api.storage);
    const names = async (b: string) => (await call(ADMIN, 'GET', `${path}${b}`)).subjects.map((s: KObject) => s.name);
    assert.deepEqual(await names('skiff:cluster-dns'), ['coredns', 'system:skiff-dns', 'dns-operator']);
    assert.deepEqual(await names('skiff:agents-node-proxier'), ['system:kube-proxy']);
    assert.deepEqual(await names('skiff:node-autoapprove-certificate-rotation'), ['system:nodes']);
    await call(ADMIN, 'PATCH', `${path}skiff:cluster-dns`, { subjects: dns.subjects });
  });
});
