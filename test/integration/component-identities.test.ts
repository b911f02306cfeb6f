// The clients `skiff server` gives the components in its process, against an apiserver with
// the bootstrap policy and the Node,RBAC authorizers: each is held to its own role. A node
// agent reads only the Secrets of pods bound to it and writes only its own Node; the proxy,
// DNS, ingress, servicelb, local-path provisioner, metrics server and controllers get 403
// outside their roles and succeed inside them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../../src/api/builtin.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { componentClients, type ComponentClients } from '../../src/cli/component-clients.js';
import type { Client } from '../../src/client/client.js';
import { resources } from '../../src/client/resources.js';
import { ApiError } from '../../src/client/transport.js';
import { MemoryStore } from '../../src/storage/memory.js';

let api: ApiServer;
let c: ComponentClients;
let admin: Client;

async function forbidden(what: string, p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError && err.code === 403) return err;
    throw new Error(`${what}: expected 403, got ${(err as Error).message}`);
  }
  return assert.fail(`${what}: succeeded, expected 403`);
}

async function until(pred: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pod = (name: string, node: string, secret: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app' },
  spec: {
    nodeName: node,
    containers: [{ name: 'c', image: 'busybox' }],
    volumes: [{ name: 's', secret: { secretName: secret } }],
  },
});

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as any).bootstrap();
  await api.authorization.start();
  c = componentClients(api);
  admin = c.server;
  await admin.namespaces.create({ metadata: { name: 'app' } });
  for (const n of ['node-a', 'node-b']) await c.node(n).nodes.create({ metadata: { name: n } });
  for (const s of ['mine', 'theirs']) await admin.secrets.create({ metadata: { name: s, namespace: 'app' }, stringData: { k: s } });
  await admin.pods.create(pod('on-a', 'node-a', 'mine'));
  await admin.pods.create(pod('on-b', 'node-b', 'theirs'));
});

after(async () => {
  await api.stop();
});

describe('in-process node agents act as their node', () => {
  it("read the Secret of a pod bound to them, never another node's pod's", async () => {
    const a = c.node('node-a');
    // The Node authorizer's graph follows the pods shortly after they are written.
    await until(
      async () =>
        await a.secrets.get('mine', 'app').then(
          () => true,
          () => false,
        ),
      'node-a may read its pod Secret',
    );
    const err = await forbidden('node-a reads Secret theirs', a.secrets.get('theirs', 'app'));
    assert.match(err.message, /User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "app"/);
    await forbidden('node-a lists Secrets', a.secrets.list({ namespace: 'app' }));
  });

  it('write their own Node and no other', async () => {
    const a = c.node('node-a');
    await a.nodes.patch('node-a', { metadata: { labels: { mine: 'yes' } } }, 'merge');
    const err = await forbidden('node-a patches node-b', a.nodes.patch('node-b', { metadata: { labels: { taken: 'yes' } } }, 'merge'));
    assert.match(err.message, /node "node-a" is not allowed to modify node "node-b"/);
    await forbidden('node-a deletes node-b', a.nodes.delete('node-b'));
  });

  it("update only their own pods' status", async () => {
    const a = c.node('node-a');
    await a.pods.patch('on-a', { status: { message: 'hello' } }, 'merge', { namespace: 'app', subresource: 'status' });
    await forbidden(
      'node-a patches the status of a pod on node-b',
      a.pods.patch('on-b', { status: { message: 'x' } }, 'merge', { namespace: 'app', subresource: 'status' }),
    );
    await forbidden(
      'node-a creates a pod',
      a.pods.create({ metadata: { name: 'made', namespace: 'app' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'x' }] } }),
    );
  });

  it('watch a referenced Secret by name, not all Secrets', async () => {
    const a = c.node('node-a');
    const byName = await a.secrets.list({ namespace: 'app', fieldSelector: 'metadata.name=mine' });
    assert.deepEqual(
      byName.items.map((s) => s.metadata?.name),
      ['mine'],
    );
    await forbidden('node-a lists theirs by name', a.secrets.list({ namespace: 'app', fieldSelector: 'metadata.name=theirs' }));
  });
});

describe('the other components are held to their roles', () => {
  it('the proxy (system:kube-proxy) reads Services and EndpointSlices, creates no pods, reads no Secrets', async () => {
    await c.proxy.services.list();
    await c.proxy.resource(resources.endpointSlices).list();
    await forbidden('proxy creates a pod', c.proxy.pods.create(pod('by-proxy', 'node-a', 'mine')));
    await forbidden('proxy reads a Secret', c.proxy.secrets.get('mine', 'app'));
  });

  it('DNS (kube-system:coredns) reads Services, writes no pods and reads no Secrets', async () => {
    await c.dns.services.list();
    await forbidden('dns creates a pod', c.dns.pods.create(pod('by-dns', 'node-a', 'mine')));
    await forbidden('dns reads a Secret', c.dns.secrets.get('mine', 'app'));
  });

  it('ingress (kube-system:skiff-ingress) reads Secrets for TLS, but writes neither them nor pods', async () => {
    await c.ingress.secrets.get('mine', 'app');
    await forbidden('ingress deletes a Secret', c.ingress.secrets.delete('mine', { namespace: 'app' }));
    await forbidden('ingress creates a pod', c.ingress.pods.create(pod('by-ingress', 'node-a', 'mine')));
  });

  it('servicelb writes Service status only', async () => {
    const lb = c.controller('servicelb');
    const svc = await admin.services.create({
      metadata: { name: 'web', namespace: 'app' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await lb.services.updateStatus({ ...svc, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } });
    await forbidden('servicelb updates a Service spec', lb.services.patch('web', { spec: { ports: [{ port: 81 }] } }, 'merge', { namespace: 'app' }));
    await forbidden('servicelb reads a Secret', lb.secrets.get('mine', 'app'));
    await forbidden('servicelb creates a pod', lb.pods.create(pod('by-lb', 'node-a', 'mine')));
  });

  it('the local-path provisioner makes volumes, but reads no Secrets and makes no pods', async () => {
    const lp = c.controller('local-path-provisioner');
    await lp.resource(resources.persistentVolumes).create({
      metadata: { name: 'pv-test' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv-test' } },
    });
    await lp.resource(resources.persistentVolumes).delete('pv-test');
    await forbidden('local-path reads a Secret', lp.secrets.get('mine', 'app'));
    await forbidden('local-path creates a pod', lp.pods.create(pod('by-lp', 'node-a', 'mine')));
  });

  it('the metrics server reads nodes and pods only', async () => {
    await c.metrics.nodes.list();
    await c.metrics.pods.list();
    await forbidden('metrics reads a Secret', c.metrics.secrets.get('mine', 'app'));
  });

  it('a controller writes as its service account: the replicaset controller makes pods, not Secrets', async () => {
    const rs = c.controller('replicaset');
    await rs.pods.create({ metadata: { name: 'by-rs', namespace: 'app' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await forbidden('replicaset controller creates a Secret', rs.secrets.create({ metadata: { name: 'nope', namespace: 'app' } }));
    await forbidden('csr controller creates a pod', c.controller('csrsigning').pods.create(pod('by-csr', 'node-a', 'mine')));
  });
});
