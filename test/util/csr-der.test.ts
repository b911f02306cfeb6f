// Certificate requests written with node:crypto alone read back, through the parser and
// signature check the API server uses, as what they ask for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createCsrPem, newEcKey } from '../../src/util/csr-der.js';
import { csrSignatureValid, parseCsr } from '../../src/util/x509.js';

test('a node client request: O and CN, no SANs, signed by its key', async () => {
  const { key, pem } = newEcKey();
  assert.match(pem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  const csr = createCsrPem(key, 'system:node:worker-1', ['system:nodes']);
  assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/);
  assert.equal(await csrSignatureValid(csr), true);
  const p = parseCsr(csr);
  assert.equal(p.commonName, 'system:node:worker-1');
  assert.deepEqual(p.organizations, ['system:nodes']);
  assert.deepEqual(p.otherSubjectTypes, []);
  assert.deepEqual([p.dnsNames, p.ipAddresses], [[], []]);
  assert.deepEqual(Buffer.from(p.spki), createPublicKey(key).export({ format: 'der', type: 'spki' }));
});

test('a serving request: DNS names, IPv4 and IPv6 addresses, several organizations; a PEM key string works too', async () => {
  const { pem } = newEcKey();
  const csr = createCsrPem(pem, 'system:node:worker-1', ['system:nodes', 'extra'], {
    dns: ['worker-1', 'localhost'],
    ips: ['10.0.0.7', '127.0.0.1', 'fd00::1:2', '::1', '::ffff:10.1.2.3'],
  });
  assert.equal(await csrSignatureValid(csr), true);
  const p = parseCsr(csr);
  assert.deepEqual(p.organizations, ['system:nodes', 'extra']);
  assert.deepEqual(p.dnsNames, ['worker-1', 'localhost']);
  assert.deepEqual(p.ipAddresses, ['10.0.0.7', '127.0.0.1', 'fd00::1:2', '::1', '::ffff:a01:203']);
});

test('a long common name needs a multi-byte DER length and still verifies', async () => {
  const { key } = newEcKey();
  const cn = `system:node:${'n'.repeat(300)}`;
  const csr = createCsrPem(key, cn, []);
  assert.equal(await csrSignatureValid(csr), true);
  assert.equal(parseCsr(csr).commonName, cn);
});
