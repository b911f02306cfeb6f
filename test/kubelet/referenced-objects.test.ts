// A node's watches of the Secrets its pods reference, made with the node's own identity
// against an apiserver with the Node authorizer: a referenced Secret is cached and its
// changes are told; one referenced only by another node's pod is refused (no cache); a
// watch ends when no pod references it any more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Secret } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../../src/api/builtin.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { nodeUser } from '../../src/apiserver/auth/node-user.js';
import { Client } from '../../src/client/client.js';
import { resources } from '../../src/client/resources.js';
import { podSources, ReferencedObjects } from '../../src/kubelet/volumes/referenced-objects.js';
import type { Logger } from '../../src/util/log.js';
import { MemoryStore } from '../../src/storage/memory.js';

const warnings: string[] = [];
const log: Logger = {
  debug() {},
  info() {},
  warn: (m: string, f?: Record<string, unknown>) => void warnings.push(`${m} ${JSON.stringify(f)}`),
  error() {},
  child: () => log,
} as unknown as Logger;

let api: ApiServer;
let admin: Client;

const pod = (name: string, node: string, secret: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app' },
  spec: {
    nodeName: node,
    containers: [{ name: 'c', image: 'x', env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }],
    volumes: [{ name: 'v', secret: { secretName: secret } }],
  },
});

async function until<T>(what: string, f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as any).bootstrap();
  await api.authorization.start();
  admin = new Client(api.transport());
  await admin.namespaces.create({ metadata: { name: 'app' } });
  for (const n of ['mine', 'theirs']) await admin.secrets.create({ metadata: { name: n, namespace: 'app' }, stringData: { v: '1' } });
});

after(async () => {
  await api.stop();
});

test('podSources names the ConfigMaps and Secrets of volumes and environment', () => {
  const withCm: Pod = {
    ...pod('p', 'n', 'x'),
    spec: { ...pod('p', 'n', 'x').spec!, volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'cm' } }] } }] },
  };
  assert.deepEqual(
    podSources(withCm)
      .map((r) => `${r.kind}/${r.name}`)
      .sort(),
    ['configMap/cm', 'secret/s'],
  );
  assert.deepEqual(
    podSources(pod('p', 'n', 'x'))
      .map((r) => `${r.kind}/${r.name}`)
      .sort(),
    ['secret/s', 'secret/x'],
  );
});

test("a node watches its own pods' Secrets one by one, and is refused another node's", async () => {
  const mine = await admin.pods.create(pod('on-a', 'node-a', 'mine'));
  const theirs = await admin.pods.create(pod('on-b', 'node-b', 'theirs'));
  const changes: string[] = [];
  const node = new Client(api.transport(nodeUser('node-a')));
  const objs = new ReferencedObjects<Secret>(node.resource(resources.secrets), (ns, name) => changes.push(`${ns}/${name}`), log);
  try {
    objs.setPod(mine.metadata!.uid!, 'app', ['mine']);
    // A node that lied about its pods (another node's) gets no watch from the apiserver.
    objs.setPod(theirs.metadata!.uid!, 'app', ['theirs']);
    const cached = await until('mine cached', () => objs.get('app', 'mine'));
    assert.equal(cached.data?.v, Buffer.from('1').toString('base64'));
    await admin.secrets.patch('mine', { stringData: { v: '2' } }, 'merge', { namespace: 'app' });
    await until('the change told', () => (changes.includes('app/mine') ? true : undefined));
    assert.equal(objs.get('app', 'mine')?.data?.v, Buffer.from('2').toString('base64'));
    await until('the refusal reported', () => (warnings.some((w) => w.includes('app/theirs') && /cannot list/.test(w)) ? true : undefined));
    assert.equal(objs.get('app', 'theirs'), undefined);
    // No pod references it any more: the watch ends and its cache with it.
    objs.forgetPod(mine.metadata!.uid!);
    assert.equal(objs.get('app', 'mine'), undefined);
    await admin.secrets.patch('mine', { stringData: { v: '3' } }, 'merge', { namespace: 'app' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(changes.filter((c) => c === 'app/mine').length, 1);
  } finally {
    objs.stop();
  }
});
