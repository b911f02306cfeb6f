// SNI selection: an exact tls host's Secret, else a `*.` one, else the default certificate;
// a missing, wrongly typed or garbled Secret leaves its host on the default with a reason;
// a Secret update (new resourceVersion) is loaded without restarting anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { CertStore, selectSecret } from '../../src/ingress/certs.js';
import { selfSignedServingCert } from '../../src/util/x509-jobs.js';

test('selectSecret: exact name, then wildcard of one label, case and trailing dot ignored', () => {
  const m = new Map([
    ['a.example.com', ['ns/a']],
    ['*.example.com', ['ns/wild']],
    ['example.com', ['ns/apex']],
  ]);
  assert.equal(selectSecret('a.example.com', m), 'ns/a');
  assert.equal(selectSecret('A.Example.COM.', m), 'ns/a');
  assert.equal(selectSecret('b.example.com', m), 'ns/wild');
  assert.equal(selectSecret('x.b.example.com', m), undefined);
  assert.equal(selectSecret('example.com', m), 'ns/apex');
  assert.equal(selectSecret('other.org', m), undefined);
});

test('CertStore serves each Secret by name, the default for unknown and broken ones, and picks up updates', async () => {
  const def = await selfSignedServingCert('default', { hostnames: ['default.local'] });
  const a = await selfSignedServingCert('a.example.com', { hostnames: ['a.example.com'] });
  const a2 = await selfSignedServingCert('a.example.com', { hostnames: ['a.example.com'] });
  const tlsSecret = (c: { cert: string; key: string }, rv: string): Secret => ({
    metadata: { name: 'a', namespace: 'ns', resourceVersion: rv },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(c.cert).toString('base64'), 'tls.key': Buffer.from(c.key).toString('base64') },
  });
  const secrets = new Map<string, Secret>([
    ['ns/a', tlsSecret(a, '1')],
    ['ns/opaque', { metadata: { name: 'opaque', namespace: 'ns', resourceVersion: '1' }, type: 'Opaque', data: {} }],
    [
      'ns/garbled',
      {
        metadata: { name: 'garbled', namespace: 'ns', resourceVersion: '1' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'bm90IGEgY2VydA==', 'tls.key': 'bm8=' },
      },
    ],
  ]);
  const store = new CertStore(def, (ns, name) => secrets.get(`${ns}/${name}`));
  const problems = store.update(
    new Map([
      ['a.example.com', ['ns/a']],
      ['b.example.com', ['ns/missing']],
      ['c.example.com', ['ns/opaque']],
      ['d.example.com', ['ns/garbled']],
    ]),
  );
  assert.deepEqual(problems.map((p) => p.secret).sort(), ['ns/garbled', 'ns/missing', 'ns/opaque']);
  assert.match(problems.find((p) => p.secret === 'ns/missing')!.message, /does not exist/);
  assert.match(problems.find((p) => p.secret === 'ns/opaque')!.message, /not kubernetes.io\/tls/);
  const ctxA = store.contextFor('a.example.com');
  assert.notEqual(ctxA, store.defaultContext);
  assert.equal(store.contextFor('b.example.com'), store.defaultContext);
  assert.equal(store.contextFor('d.example.com'), store.defaultContext);
  assert.equal(store.contextFor(undefined), store.defaultContext);
  // Same resourceVersion: the same context; a new one: reloaded.
  store.update(new Map([['a.example.com', ['ns/a']]]));
  assert.equal(store.contextFor('a.example.com'), ctxA);
  secrets.set('ns/a', tlsSecret(a2, '2'));
  store.update(new Map([['a.example.com', ['ns/a']]]));
  assert.notEqual(store.contextFor('a.example.com'), ctxA);
  assert.notEqual(store.contextFor('a.example.com'), store.defaultContext);
});
