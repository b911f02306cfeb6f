// X.509 work done in a child process: the results are what the X.509 module makes in-process,
// and the calling process never loads the X.509 library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { csrSignatureValid, parseCsr } from '../../src/util/x509.js';
import { keyAndCsr, selfSignedServingCert } from '../../src/util/x509-jobs.js';

test('a key and CSR from the child: the subject and SANs asked for, signed by that key', async () => {
  const { keyPem, csrPem } = await keyAndCsr('system:node:n1', ['system:nodes'], { dns: ['n1', 'localhost'], ips: ['10.0.0.5'] });
  const csr = parseCsr(csrPem);
  assert.equal(csr.commonName, 'system:node:n1');
  assert.deepEqual(csr.organizations, ['system:nodes']);
  assert.deepEqual(csr.dnsNames, ['n1', 'localhost']);
  assert.deepEqual(csr.ipAddresses, ['10.0.0.5']);
  assert.equal(await csrSignatureValid(csrPem), true);
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' });
  assert.deepEqual(Buffer.from(csr.spki), fromKey);
});

test('a self-signed serving certificate from the child carries its names and matches its key', async () => {
  const { cert, key } = await selfSignedServingCert('ingress-default', { hostnames: ['ingress.test'], ips: ['127.0.0.1'] });
  const x = new X509Certificate(cert);
  assert.match(x.subject, /CN=ingress-default/);
  assert.match(x.subjectAltName ?? '', /DNS:ingress\.test/);
  assert.match(x.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(x.checkPrivateKey(createPrivateKey(key)), true);
  assert.ok(new Date(x.validTo).getTime() > Date.now() + 300 * 24 * 3600_000);
});

test('the calling process does not load the X.509 library', () => {
  const mod = fileURLToPath(new URL('../../src/util/x509-jobs.js', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    const { keyAndCsr } = await import(${JSON.stringify(mod)});
    const { csrPem } = await keyAndCsr('c', ['o']);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@peculiar'));
    console.log(JSON.stringify({ csr: csrPem.startsWith('-----BEGIN CERTIFICATE REQUEST-----'), loaded }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), { csr: true, loaded: [] });
});
