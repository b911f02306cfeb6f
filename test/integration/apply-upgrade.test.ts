// kubectl apply (client-side), then kubectl apply --server-side on the same object: Kubernetes'
// upgrade path lets the server-side manager take the client-side fields instead of conflicting.
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

const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgraded\n  namespace: default\ndata:\n  key: ${v}\n`;

test('client-side apply, then server-side apply of a changed field: no conflict; diff and the annotation follow', async () => {
  const csa = await s.kubectl(['apply', '-f', '-'], { input: cm('one') });
  assert.equal(csa.code, 0, csa.stderr);
  const diff = await s.kubectl(['diff', '--server-side', '-f', '-'], { input: cm('two') });
  assert.equal(diff.code, 1, `kubectl diff exits 1 when there are differences: ${diff.stderr}`);
  assert.match(diff.stdout, /\+ {2}key: two/);
  const ssa = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: cm('two') });
  assert.equal(ssa.code, 0, ssa.stderr);
  const got = JSON.parse((await s.kubectl(['get', 'cm', 'upgraded', '-o', 'json', '--show-managed-fields'])).stdout);
  assert.equal(got.data.key, 'two');
  const last = JSON.parse(got.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  assert.equal(last.data.key, 'two');
  const kubectlEntry = got.metadata.managedFields.find((m: any) => m.manager === 'kubectl' && m.operation === 'Apply');
  assert.ok(kubectlEntry?.fieldsV1?.['f:data']?.['f:key'], JSON.stringify(got.metadata.managedFields));
  // A field someone else changed since is still a conflict.
  const other = await s.kubectl(['patch', 'cm', 'upgraded', '--type', 'merge', '-p', '{"data":{"key":"theirs"}}', '--field-manager', 'someone']);
  assert.equal(other.code, 0, other.stderr);
  const clash = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: cm('three') });
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /conflict with "someone"/);
});
