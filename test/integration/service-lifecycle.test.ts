// Service addresses over a Service's lifetime as kube-apiserver handles them: a deleted Service's
// clusterIP and nodePort are free again at once, and the `kubernetes` Service comes back if deleted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s?.cleanup();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a Service re-created at once from its dump keeps its clusterIP and nodePort', async () => {
  const kip = JSON.parse(await kubectl(['get', 'svc', 'kubernetes', '-o', 'json'])).spec.clusterIP as string;
  const ip = kip.replace(/\.\d+$/, '.77');
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'again' },
    spec: { type: 'NodePort', clusterIP: ip, selector: { app: 'x' }, ports: [{ port: 80, nodePort: 30077 }] },
  });
  await kubectl(['create', '-f', '-'], manifest);
  const dump = await kubectl(['get', 'svc', 'again', '-o', 'json']);
  await kubectl(['delete', 'svc', 'again']);
  const { resourceVersion: _rv, uid: _uid, ...meta } = JSON.parse(dump).metadata;
  await kubectl(['create', '-f', '-'], JSON.stringify({ ...JSON.parse(dump), metadata: meta }));
  const svc = JSON.parse(await kubectl(['get', 'svc', 'again', '-o', 'json']));
  assert.equal(svc.spec.clusterIP, ip);
  assert.equal(svc.spec.ports[0].nodePort, 30077);
  // A nodePort another Service holds is refused, as kube-apiserver refuses it.
  const clash = await s.kubectl(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'clash' },
      spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, nodePort: 30077 }] },
    }),
  });
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 30077: provided port is already allocated/);
});

test('the kubernetes Service is re-created within seconds after it is deleted', async () => {
  const before = JSON.parse(await kubectl(['get', 'svc', 'kubernetes', '-o', 'json']));
  await kubectl(['delete', 'svc', 'kubernetes']);
  const deadline = Date.now() + 10_000;
  let back: any;
  while (Date.now() < deadline) {
    const r = await s.kubectl(['get', 'svc', 'kubernetes', '-o', 'json']);
    if (r.code === 0) {
      back = JSON.parse(r.stdout);
      if (back.metadata.uid !== before.metadata.uid) break;
    }
    await new Promise((res) => setTimeout(res, 300));
  }
  assert.ok(back && back.metadata.uid !== before.metadata.uid, 'the kubernetes Service did not come back within 10 s');
  assert.equal(back.spec.clusterIP, before.spec.clusterIP);
  assert.deepEqual(back.spec.ports, before.spec.ports);
});
