// pods/ephemeralcontainers: the only way debug containers join a pod, with Kubernetes'
// rules (add only; never change or remove; nothing else of the pod changes through it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resourceList } from '../../src/apiserver/discovery.js';
import { pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('eph');
});
after(() => t.close());

const PODS = '/api/v1/namespaces/eph/pods';
const debug = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox', command: ['sh'], stdin: true, tty: true, ...extra });

test('discovery lists pods/ephemeralcontainers with get, patch, update', () => {
  const list = resourceList(t.api.storage.registry, '', 'v1') as any;
  const sub = list.resources.find((r: any) => r.name === 'pods/ephemeralcontainers');
  assert.ok(sub, 'pods/ephemeralcontainers missing from /api/v1');
  assert.equal(sub.kind, 'Pod');
  assert.deepEqual(sub.verbs, ['get', 'patch', 'update']);
});

test('ephemeral containers cannot be set on create, nor through an update of the pod', async () => {
  const s = await t.fail('POST', PODS, { body: pod('c1', { ephemeralContainers: [debug('d')] }) });
  assert.equal(s.code, 422);
  assert.deepEqual(
    s.details.causes.map((c: any) => [c.field, c.message]),
    [['spec.ephemeralContainers', 'Forbidden: cannot be set on create']],
  );
  await t.post(PODS, pod('u1'));
  const u = await t.fail('PATCH', `${PODS}/u1`, { patch: 'strategic', body: { spec: { ephemeralContainers: [debug('d')] } } });
  assert.equal(u.code, 422);
  assert.match(u.message, /spec: Forbidden: pod updates may not change fields other than/);
});

test('kubectl debug: a strategic merge patch on /ephemeralcontainers adds a container and nothing else', async () => {
  const created = await t.post(PODS, pod('p1', { containers: [{ name: 'main', image: 'busybox' }] }));
  const r = await t.call('PATCH', `${PODS}/p1/ephemeralcontainers`, {
    patch: 'strategic',
    body: {
      metadata: { labels: { sneaky: 'yes' } },
      spec: { ephemeralContainers: [debug('debugger-abc', { targetContainerName: 'main' })], activeDeadlineSeconds: 5 },
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  const ecs = r.body.spec.ephemeralContainers;
  assert.equal(ecs.length, 1);
  assert.equal(ecs[0].name, 'debugger-abc');
  assert.equal(ecs[0].targetContainerName, 'main');
  // Defaulted like any container.
  assert.equal(ecs[0].terminationMessagePath, '/dev/termination-log');
  // Everything else the patch said is dropped.
  assert.equal(r.body.metadata!.labels?.sneaky, undefined);
  assert.equal(r.body.spec.activeDeadlineSeconds, undefined);
  assert.ok(Number(r.body.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion));
  const mf = r.body.metadata!.managedFields.find((e: any) => e.subresource === 'ephemeralcontainers');
  assert.ok(mf, `no managedFields entry for the subresource: ${JSON.stringify(r.body.metadata!.managedFields)}`);

  // GET of the subresource is the pod; the pod itself has the container now.
  const got = await t.get(`${PODS}/p1/ephemeralcontainers`);
  assert.equal(got.kind, 'Pod');
  assert.equal((await t.get(`${PODS}/p1`)).spec.ephemeralContainers[0].name, 'debugger-abc');

  // A second one adds; the pod can still be updated normally afterwards.
  const two = await t.patch(`${PODS}/p1/ephemeralcontainers`, 'strategic', { spec: { ephemeralContainers: [debug('debugger-2')] } });
  assert.deepEqual(two.spec.ephemeralContainers.map((c: any) => c.name).sort(), ['debugger-2', 'debugger-abc']);
  const labelled = await t.patch(`${PODS}/p1`, 'merge', { metadata: { labels: { ok: 'yes' } } });
  assert.equal(labelled.metadata!.labels.ok, 'yes');
});

test('existing ephemeral containers may not be changed or removed (PUT and patches)', async () => {
  await t.post(PODS, pod('p2'));
  const p = await t.patch(`${PODS}/p2/ephemeralcontainers`, 'strategic', { spec: { ephemeralContainers: [debug('dbg')] } });

  const changed = await t.fail('PATCH', `${PODS}/p2/ephemeralcontainers`, {
    patch: 'strategic',
    body: { spec: { ephemeralContainers: [{ name: 'dbg', image: 'alpine' }] } },
  });
  assert.equal(changed.code, 422);
  assert.equal(changed.reason, 'Invalid');
  const cause = changed.details.causes[0];
  assert.equal(cause.field, 'spec.ephemeralContainers[dbg]');
  assert.match(cause.message, /^Forbidden: existing ephemeral containers "dbg" may not be changed\n/);
  assert.match(cause.message, /image/);

  const body = structuredClone(p) as any;
  body.spec.ephemeralContainers = [];
  const removed = await t.fail('PUT', `${PODS}/p2/ephemeralcontainers`, { body });
  assert.equal(removed.code, 422);
  assert.deepEqual(
    removed.details.causes.map((c: any) => [c.field, c.message]),
    [['spec.ephemeralContainers', 'Forbidden: existing ephemeral containers "dbg" may not be removed\n']],
  );

  // PUT adding one keeps the rest of the pod as stored, whatever the body says.
  const put = structuredClone(p) as any;
  put.spec.ephemeralContainers.push(debug('dbg2'));
  put.spec.containers[0].image = 'nginx';
  const ok = await t.put(`${PODS}/p2/ephemeralcontainers`, put);
  assert.equal(ok.spec.containers[0].image, 'busybox');
  assert.deepEqual(
    ok.spec.ephemeralContainers.map((c: any) => c.name),
    ['dbg', 'dbg2'],
  );
  // A stale resourceVersion is a conflict.
  const stale = await t.fail('PUT', `${PODS}/p2/ephemeralcontainers`, { body: put });
  assert.equal(stale.code, 409);
});

test('ephemeral container validation: target, names, forbidden fields', async () => {
  await t.post(PODS, pod('p3', { containers: [{ name: 'main', image: 'busybox' }] }));
  const s = await t.fail('PATCH', `${PODS}/p3/ephemeralcontainers`, {
    patch: 'strategic',
    body: {
      spec: {
        ephemeralContainers: [
          debug('main'),
          debug('d1', { targetContainerName: 'nope' }),
          debug('d2', { ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, readinessProbe: { exec: { command: ['true'] } } }),
          { name: 'd3' },
        ],
      },
    },
  });
  assert.equal(s.code, 422);
  const causes = s.details.causes.map((c: any) => `${c.field}: ${c.message}`);
  for (const want of [
    'spec.ephemeralContainers[0].name: Duplicate value: "main"',
    'spec.ephemeralContainers[1].targetContainerName: Not found: "nope"',
    'spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[2].resources: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[2].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
    'spec.ephemeralContainers[3].image: Required value',
  ])
    assert.ok(causes.includes(want), `missing cause ${want}; got ${JSON.stringify(causes)}`);
  assert.equal((await t.get(`${PODS}/p3`)).spec.ephemeralContainers, undefined);
});

test('static (mirror) pods do not support ephemeral containers; missing pods are 404', async () => {
  await t.post(PODS, pod('mirror', {}, { annotations: { 'kubernetes.io/config.mirror': 'x' } }));
  const s = await t.fail('PATCH', `${PODS}/mirror/ephemeralcontainers`, { patch: 'strategic', body: { spec: { ephemeralContainers: [debug('d')] } } });
  assert.equal(s.code, 422);
  assert.match(s.message, /Forbidden: static pods do not support ephemeral containers/);
  const nf = await t.fail('PATCH', `${PODS}/ghost/ephemeralcontainers`, { patch: 'strategic', body: { spec: { ephemeralContainers: [debug('d')] } } });
  assert.equal(nf.code, 404);
  assert.equal((await t.fail('GET', '/api/v1/namespaces/eph/configmaps/x/ephemeralcontainers')).code, 404);
});
