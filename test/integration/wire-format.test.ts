// What a client sees byte for byte: Status error bodies, TypeMeta on every object, kube-apiserver's
// decode errors and watch bookmarks — compared with what kube-apiserver writes.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let raw: ReturnType<typeof rawClient>;
before(async () => {
  s = await startServer();
  raw = rawClient(s.kubeconfig);
});
after(async () => {
  raw?.close();
  await s?.cleanup();
});

const CMS = '/api/v1/namespaces/default/configmaps';

test('a Status error body has kube-apiserver field order and ends with a newline', async () => {
  const r = await raw.request('GET', `${CMS}/missing`);
  assert.equal(r.status, 404);
  assert.equal(
    r.body,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"missing\\" not found","reason":"NotFound","details":{"name":"missing","kind":"configmaps"},"code":404}\n',
  );
});

test("a failed JSON patch is kube-apiserver's 422 and names the operation and path that failed", async () => {
  assert.equal(
    (await raw.request('POST', CMS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'jp' }, data: { a: '1' } }))).status,
    201,
  );
  const r = await raw.request('PATCH', `${CMS}/jp`, JSON.stringify([{ op: 'test', path: '/data/a', value: '9' }]), {
    'Content-Type': 'application/json-patch+json',
  });
  assert.equal(r.status, 422);
  const st = r.json();
  assert.deepEqual(Object.keys(st), ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'details', 'code']);
  assert.equal(st.message, 'the server rejected our request due to an error in our request');
  assert.equal(st.details.causes[0].field, '/data/a');
  assert.match(st.details.causes[0].message, /^test operation 0 does not apply at \/data\/a: test failed$/);
  const rm = (
    await raw.request('PATCH', `${CMS}/jp`, JSON.stringify([{ op: 'remove', path: '/data/nope' }]), { 'Content-Type': 'application/json-patch+json' })
  ).json();
  assert.match(rm.details.causes[0].message, /^remove operation 0 does not apply at \/data\/nope/);
});

test('kind and apiVersion come first in responses and watch events even when the body left them out', async () => {
  const w = watchLines(`${CMS}?watch=1&timeoutSeconds=3`);
  await new Promise((r) => setTimeout(r, 300));
  const created = await raw.request('POST', CMS, JSON.stringify({ metadata: { name: 'bare' }, data: { a: '1' } }));
  assert.equal(created.status, 201);
  assert.deepEqual(Object.keys(created.json()).slice(0, 2), ['kind', 'apiVersion']);
  assert.equal(created.json().kind, 'ConfigMap');
  const updated = await raw.request('PUT', `${CMS}/bare`, JSON.stringify({ metadata: { name: 'bare' }, data: { a: '2' } }));
  assert.equal(updated.status, 200);
  assert.match(updated.body, /^\{"kind":"ConfigMap","apiVersion":"v1","metadata":/);
  const events = (await w).filter((e) => e.object.metadata?.name === 'bare');
  assert.deepEqual(
    events.map((e) => e.type),
    ['ADDED', 'MODIFIED'],
  );
  for (const e of events) assert.deepEqual(Object.keys(e.object).slice(0, 2), ['kind', 'apiVersion']);
});

test("YAML sent as application/json gets kube-apiserver's decode error naming the kind of the URL", async () => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: valid-pod\n';
  const r = await raw.request('POST', '/api/v1/namespaces', yaml, { 'Content-Type': 'application/json' });
  assert.equal(r.status, 400);
  const hex = Buffer.from(yaml).subarray(0, 30).toString('hex');
  assert.equal(
    r.json().message,
    `the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (${hex} ...)`,
  );
  const k = await s.kubectl(['create', '--raw', '/api/v1/namespaces', '-f', '-'], { input: yaml });
  assert.notEqual(k.code, 0);
  assert.match(k.stderr, /the object provided is unrecognized \(must be of type Namespace\)/);
});

test('allowWatchBookmarks: a bookmark arrives before the watch times out; sendInitialEvents ends the initial state with an annotated bookmark', async () => {
  const evs = await watchLines(`${CMS}?watch=true&allowWatchBookmarks=true&timeoutSeconds=4`);
  const marks = evs.filter((e) => e.type === 'BOOKMARK');
  assert.equal(marks.length, 1, JSON.stringify(evs));
  // As kube-apiserver: 2 s before the deadline, so the client resumes from a fresh resourceVersion.
  assert.ok(marks[0]!.endedAt - marks[0]!.at >= 1500, `bookmark ${marks[0]!.endedAt - marks[0]!.at} ms before the end`);
  assert.match(marks[0]!.object.metadata.resourceVersion, /^\d+$/);
  const list = await watchLines(`${CMS}?watch=True&allowWatchBookmarks=True&sendInitialEvents=True&resourceVersionMatch=NotOlderThan&timeoutSeconds=1`);
  const end = list.findIndex((e) => e.type === 'BOOKMARK');
  assert.ok(end > 0, JSON.stringify(list));
  assert.ok(list.slice(0, end).every((e) => e.type === 'ADDED'));
  assert.equal(list[end]!.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
});

/** All events of a watch that the server ends (timeoutSeconds). */
function watchLines(path: string): Promise<{ type: string; object: any; at: number; endedAt: number }[]> {
  const { options } = loadKubeconfig(s.kubeconfig);
  const url = new URL(options.server);
  return new Promise((resolve, reject) => {
    const req = https.get({ host: url.hostname, port: url.port, path, ca: options.ca, cert: options.cert, key: options.key }, (res) => {
      let text = '';
      const lines: { type: string; object: any; at: number; endedAt: number }[] = [];
      res.on('data', (c) => {
        text += c;
        const parts = text.split('\n');
        text = parts.pop()!;
        for (const l of parts) if (l) lines.push({ ...JSON.parse(l), at: Date.now() });
      });
      res.on('end', () => {
        const endedAt = Date.now();
        resolve(lines.map((l) => ({ ...l, endedAt })));
      });
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`watch ${path} did not end`)));
  });
}

test('?pretty=True indents the response as kube-apiserver does', async () => {
  await raw.request('POST', CMS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pretty' } }));
  const r = await raw.request('GET', `${CMS}/pretty?pretty=True`);
  assert.equal(r.status, 200);
  assert.match(r.body, /^\{\n {2}"kind": "ConfigMap",\n {2}"apiVersion": "v1",\n {2}"metadata": \{\n {4}"name": "pretty",/);
  assert.ok(r.body.endsWith('}\n'));
  assert.doesNotMatch((await raw.request('GET', `${CMS}/pretty?pretty=false`)).body, /\n/);
});
