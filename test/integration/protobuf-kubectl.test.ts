// The real kubectl's typed requests against `skiff server`: they send protobuf bodies and
// accept protobuf back (Accept: application/vnd.kubernetes.protobuf,application/json), and
// get protobuf for built-in kinds, as from kube-apiserver. `--v=8` shows the media types on
// both sides of each request; a custom resource asked for with protobuf first comes back as
// JSON, and 406 when the client takes protobuf only.
import assert from 'node:assert/strict';
import https from 'node:https';
import protobuf from 'protobufjs';
import { after, before, test } from 'node:test';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { decodeKubernetesProtobuf } from '../../src/apiserver/protobuf/envelope.js';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const PB = 'application/vnd.kubernetes.protobuf';
let s: TestServer;
const ok = kubectlOk(() => s);

before(async () => {
  s = await startServer();
  await ok(['create', 'deployment', 'web', '--image=nginx']);
  await ok(['run', 'box', '--image=busybox', '--', 'sleep', '3600']);
});
after(async () => {
  await s?.cleanup();
});

/** kubectl at --v=8; the media types of the first `method` request whose URL contains `path`. */
async function exchange(args: string[], method: string, path: string): Promise<{ stdout: string; sent?: string; received?: string }> {
  const r = await s.kubectl(['--v=8', ...args]);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  const lines = r.stderr.split('\n');
  const start = lines.findIndex((l) => l.includes(`] ${method} https://`) && l.includes(path));
  assert.ok(start >= 0, `no ${method} …${path} in kubectl's log:\n${r.stderr.slice(-3000)}`);
  let sent: string | undefined;
  let received: string | undefined;
  let inResponse = false;
  for (const l of lines.slice(start + 1)) {
    if (/\] (GET|POST|PUT|PATCH|DELETE) https:\/\//.test(l)) break;
    if (l.includes('Response Status:')) inResponse = true;
    const ct = /Content-Type: (\S+)/.exec(l)?.[1];
    if (ct && inResponse) received ??= ct;
    else if (ct) sent ??= ct;
  }
  return { stdout: r.stdout, sent, received };
}

test('kubectl autoscale: an autoscaling/v1 HorizontalPodAutoscaler both ways in protobuf', async () => {
  const x = await exchange(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5'], 'POST', '/horizontalpodautoscalers');
  assert.equal(x.stdout.trim(), 'horizontalpodautoscaler.autoscaling/web autoscaled');
  assert.deepEqual([x.sent, x.received], [PB, PB]);
  const hpa = JSON.parse(await ok(['get', 'hpa', 'web', '-o', 'json']));
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.name], [1, 5, 'web']);
});

test('kubectl create token: a TokenRequest both ways in protobuf, and the token works', async () => {
  const x = await exchange(['create', 'token', 'default', '--duration=10m'], 'POST', '/serviceaccounts/default/token');
  assert.deepEqual([x.sent, x.received], [PB, PB]);
  const token = x.stdout.trim();
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  // The token alone (no client certificate) names the service account; it may not list pods.
  const denied = await get('/api/v1/namespaces/default/pods', 'application/json', token);
  assert.equal(denied.status, 403);
  assert.match(JSON.parse(denied.body.toString()).message, /"system:serviceaccount:default:default" cannot list/);
});

test('kubectl auth can-i and can-i --list: SelfSubjectAccessReview and SelfSubjectRulesReview in protobuf', async () => {
  const can = await exchange(['auth', 'can-i', 'create', 'deployments'], 'POST', '/selfsubjectaccessreviews');
  assert.equal(can.stdout.trim(), 'yes');
  assert.deepEqual([can.sent, can.received], [PB, PB]);
  const list = await exchange(['auth', 'can-i', '--list'], 'POST', '/selfsubjectrulesreviews');
  assert.match(list.stdout, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
  assert.deepEqual([list.sent, list.received], [PB, PB]);
});

test('kubectl auth whoami: a SelfSubjectReview in protobuf', async () => {
  const x = await exchange(['auth', 'whoami'], 'POST', '/selfsubjectreviews');
  assert.match(x.stdout, /Username\s+system:admin/);
  assert.deepEqual([x.sent, x.received], [PB, PB]);
});

test('kubectl debug --copy-to: the copied Pod is created from a protobuf body', async () => {
  const x = await exchange(['debug', 'box', '--copy-to=box-copy', '--image=busybox', '--container=dbg', '--', 'true'], 'POST', '/namespaces/default/pods');
  assert.deepEqual([x.sent, x.received], [PB, PB]);
  const pod = JSON.parse(await ok(['get', 'pod', 'box-copy', '-o', 'json']));
  assert.deepEqual(
    pod.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`),
    ['box=busybox', 'dbg=busybox'],
  );
});

test('kubectl debug node/…: the node debugger Pod is created from a protobuf body', async () => {
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } };
  await ok(['create', '-f', '-'], JSON.stringify(node));
  const x = await exchange(['debug', 'node/n1', '--image=busybox', '--', 'true'], 'POST', '/namespaces/default/pods');
  assert.deepEqual([x.sent, x.received], [PB, PB]);
  const name = /pod (node-debugger-n1-\w+)/.exec(x.stdout)?.[1];
  assert.ok(name, `no debugger pod named in: ${x.stdout}`);
  const pod = JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
  assert.equal(pod.spec.nodeName, 'n1');
  assert.equal(pod.spec.hostPID, true);
  assert.ok(
    pod.spec.volumes.some((v: { hostPath?: { path: string } }) => v.hostPath?.path === '/'),
    'the host root is mounted',
  );
});

/** A GET with the given Accept, as the admin (client certificate) or with a bearer token only; the raw body. */
function get(path: string, accept: string, token?: string): Promise<{ status: number; type: string; body: Buffer }> {
  const { options } = loadKubeconfig(s.kubeconfig);
  const url = new URL(options.server);
  return new Promise((resolve, reject) => {
    const req = https.request(
      token
        ? { host: url.hostname, port: url.port, path, ca: options.ca, headers: { Accept: accept, Authorization: `Bearer ${token}` } }
        : { host: url.hostname, port: url.port, path, ca: options.ca, cert: options.cert, key: options.key, headers: { Accept: accept } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a list in protobuf carries the same objects as its JSON', async () => {
  const pb = await get('/api/v1/namespaces/default/pods', `${PB}, application/json`);
  assert.equal(pb.status, 200);
  assert.equal(pb.type, PB);
  const list = decodeKubernetesProtobuf(pb.body) as { kind: string; items: { metadata: { name: string; uid: string } }[] };
  const json = JSON.parse((await get('/api/v1/namespaces/default/pods', 'application/json')).body.toString());
  assert.equal(list.kind, 'PodList');
  assert.deepEqual(
    list.items.map((p) => p.metadata.uid),
    json.items.map((p: { metadata: { uid: string } }) => p.metadata.uid),
  );
});

/** The events of a protobuf watch stream: length-prefixed WatchEvent messages whose object is a whole protobuf body. */
function watchEvents(stream: Buffer): { type: string; object: Record<string, unknown> }[] {
  const out = [];
  for (let at = 0; at + 4 <= stream.length; ) {
    const length = stream.readUInt32BE(at);
    const r = protobuf.Reader.create(stream.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    let type = '';
    let object: Record<string, unknown> = {};
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === ((1 << 3) | 2)) type = r.string();
      else if (tag === ((2 << 3) | 2)) {
        const raw = protobuf.Reader.create(r.bytes());
        assert.equal(raw.uint32(), (1 << 3) | 2, 'RawExtension.raw');
        object = decodeKubernetesProtobuf(raw.bytes());
      } else r.skipType(tag & 7);
    }
    out.push({ type, object });
  }
  return out;
}

test('a watch in protobuf: length-prefixed WatchEvents, each object a protobuf body', async () => {
  await ok(['create', 'configmap', 'watched', '--from-literal=a=b']);
  const w = await get('/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dwatched', `${PB};stream=watch`);
  assert.equal(w.status, 200);
  assert.equal(w.type, `${PB};stream=watch`);
  const events = watchEvents(w.body);
  assert.equal(events[0]?.type, 'ADDED');
  assert.equal(events[0]?.object.kind, 'ConfigMap');
  assert.deepEqual(events[0]?.object.data, { a: 'b' });
});

test('custom resources have no protobuf form: JSON when the client also takes it, else 406', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  await ok(['create', '-f', '-'], JSON.stringify(crd));
  // The CRD itself is a built-in kind: protobuf, with its schema's JSON-only parts intact.
  const def = await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com', PB);
  assert.equal(def.type, PB);
  const back = decodeKubernetesProtobuf(def.body) as typeof crd;
  assert.deepEqual(back.spec.versions[0]!.schema, crd.spec.versions[0]!.schema);
  await waitFor(
    'gadgets served',
    30_000,
    async () => ((await s.kubectl(['get', 'gadgets'])).code === 0 ? true : undefined),
    () => s.logs(),
  );
  await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' } }));
  const path = '/apis/example.com/v1/namespaces/default/gadgets/g1';
  const either = await get(path, `${PB}, application/json`);
  assert.equal(either.status, 200);
  assert.match(either.type, /^application\/json/);
  assert.equal(JSON.parse(either.body.toString()).metadata.name, 'g1');
  const only = await get(path, PB);
  assert.equal(only.status, 406);
  assert.equal(JSON.parse(only.body.toString()).reason, 'NotAcceptable');
});
