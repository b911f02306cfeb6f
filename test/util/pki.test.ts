import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ensurePki, writeKubeconfig } from '../../src/util/pki.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';

test('real kubectl talks to a server using the generated PKI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const t0 = performance.now();
  const pki = await ensurePki(dir, { ips: ['10.43.0.1'], hostnames: ['skiff.example'] });
  const firstMs = performance.now() - t0;
  t.diagnostic(`first ensurePki (generate CA, serving, admin): ${firstMs.toFixed(1)} ms`);
  // How long generation takes is a figure for a benchmark, not a test: it only shows here.
  assert.ok(pki.generated);

  for (const f of ['ca.key', 'serving-kube-apiserver.key', 'client-admin.key']) {
    assert.equal((await stat(join(dir, 'tls', f))).mode & 0o777, 0o600, f);
  }
  const ca = new X509Certificate(pki.caCert);
  assert.ok(ca.ca);
  assert.match(ca.subject, /CN=skiff-ca/);
  const serving = new X509Certificate(pki.serverCert);
  for (const n of ['DNS:kubernetes.default.svc.cluster.local', 'DNS:skiff.example', 'IP Address:10.43.0.1', 'IP Address:127.0.0.1']) {
    assert.ok(serving.subjectAltName?.includes(n), `${n} in ${serving.subjectAltName}`);
  }

  const seen: string[] = [];
  const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    const o = peer.subject?.O;
    seen.push(`CN=${peer.subject?.CN},O=${Array.isArray(o) ? o.join('+') : o}`);
    if (req.url?.startsWith('/version')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0' }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;

  const kubeconfig = join(dir, 'nested', 'dir', 'kubeconfig.yaml');
  await writeKubeconfig(kubeconfig, {
    server: `https://127.0.0.1:${port}`,
    caCert: pki.caCert,
    clientCert: pki.adminCert,
    clientKey: pki.adminKey,
  });
  assert.equal((await stat(kubeconfig)).mode & 0o777, 0o600);
  const kc = parseYaml(await readFile(kubeconfig, 'utf8'));
  assert.equal(kc['current-context'], 'default');
  assert.equal(kc.clusters[0].name, 'skiff');

  const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kcache'), 'version', '-o', 'json'], {
    timeout: 30_000,
    env: { ...process.env, HOME: dir },
  });
  const out = JSON.parse(stdout);
  assert.equal(out.serverVersion.gitVersion, 'v1.32.0');
  assert.ok(seen.length > 0);
  assert.deepEqual(
    seen.filter((s) => s !== 'CN=system:admin,O=system:masters'),
    [],
  );

  // A certificate issued later for a node agent is accepted by the same server.
  const node = await pki.issueClientCert('system:node:n1', ['system:nodes']);
  const nodeKc = join(dir, 'node.kubeconfig');
  await writeKubeconfig(nodeKc, { server: `https://127.0.0.1:${port}`, caCert: pki.caCert, clientCert: node.cert, clientKey: node.key, user: 'node' });
  seen.length = 0;
  await run(KUBECTL, ['--kubeconfig', nodeKc, '--cache-dir', join(dir, 'kcache'), 'version', '-o', 'json'], {
    timeout: 30_000,
    env: { ...process.env, HOME: dir },
  });
  assert.ok(seen.includes('CN=system:node:n1,O=system:nodes'), seen.join(' '));
});

test('ensurePki reuses its files and reissues the serving cert for new names', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await ensurePki(dir, { ips: ['10.43.0.1'] });

  const t0 = performance.now();
  const second = await ensurePki(dir, { ips: ['10.43.0.1'] });
  t.diagnostic(`second ensurePki (reuse): ${(performance.now() - t0).toFixed(1)} ms`);
  assert.equal(second.generated, false);
  assert.equal(second.caCert, first.caCert);
  assert.equal(second.caKey, first.caKey);
  assert.equal(second.serverCert, first.serverCert);
  assert.equal(second.adminCert, first.adminCert);

  const third = await ensurePki(dir, { ips: ['10.43.0.1', '192.0.2.7'], hostnames: ['new.example'] });
  assert.equal(third.generated, true);
  assert.equal(third.caCert, first.caCert);
  assert.notEqual(third.serverCert, first.serverCert);
  assert.equal(third.adminCert, first.adminCert);
  const serving = new X509Certificate(third.serverCert);
  assert.ok(serving.checkIP('192.0.2.7'));
  assert.ok(serving.checkHost('new.example', { subject: 'never' }));
  assert.ok(serving.checkIssued(new X509Certificate(third.caCert)));
});
