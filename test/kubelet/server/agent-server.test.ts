// Starting a node agent server: CA-signed or self-signed serving certificate, client
// certificates required, and a taken port handled as asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ensurePki } from '../../../src/util/pki.js';
import { SimulatedRuntime } from '../../../src/kubelet/runtime/simulated.js';
import { startNodeAgentServer } from '../../../src/kubelet/server/index.js';

function get(port: number, cert: { cert: string; key: string }): Promise<{ status: number; body: string; issuer: string; subject: string; altNames: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, ...cert }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, issuer: String(peer.issuer.CN), subject: String(peer.subject.CN), altNames: peer.subjectaltname ?? '' }),
      );
    });
    req.on('error', reject);
  });
}

test('in-process agents get a CA-signed certificate, joined agents a self-signed one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-agent-srv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir);
  const client = { cert: pki.kubeletClientCert, key: pki.kubeletClientKey };
  const common = { runtime: new SimulatedRuntime(), nodeName: 'n1', addresses: ['127.0.0.1'], clientCA: pki.caCert, port: 0, host: '127.0.0.1' };

  const signed = await startNodeAgentServer({ ...common, issueServingCert: pki.issueServingCert });
  t.after(() => signed.close());
  const a = await get(signed.port, client);
  assert.deepEqual([a.status, a.body, a.subject, a.issuer], [200, 'ok', 'n1', 'skiff-ca']);
  assert.match(a.altNames, /DNS:n1/);
  assert.match(a.altNames, /IP Address:127\.0\.0\.1/);

  const selfSigned = await startNodeAgentServer(common);
  t.after(() => selfSigned.close());
  const b = await get(selfSigned.port, client);
  assert.deepEqual([b.status, b.subject, b.issuer], [200, 'n1', 'n1']);

  // Clients still have to come from the cluster CA, whoever signed the serving certificate.
  const otherDir = mkdtempSync(join(tmpdir(), 'skiff-agent-srv-'));
  t.after(() => rmSync(otherDir, { recursive: true, force: true }));
  const stranger = await ensurePki(otherDir);
  await assert.rejects(get(selfSigned.port, { cert: stranger.adminCert, key: stranger.adminKey }));
});

test('a taken port: a free one instead, or a clear error when asked not to', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-agent-srv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir);
  const common = { runtime: new SimulatedRuntime(), nodeName: 'n1', addresses: ['127.0.0.1'], clientCA: pki.caCert, host: '127.0.0.1' };
  const first = await startNodeAgentServer({ ...common, port: 0 });
  t.after(() => first.close());
  const second = await startNodeAgentServer({ ...common, port: first.port });
  t.after(() => second.close());
  assert.notEqual(second.port, first.port);
  assert.equal((await get(second.port, { cert: pki.kubeletClientCert, key: pki.kubeletClientKey })).status, 200);
  await assert.rejects(
    startNodeAgentServer({ ...common, port: first.port, fallbackToFreePort: false }),
    new RegExp(`node agent server cannot listen on 127\\.0\\.0\\.1:${first.port}: .*EADDRINUSE`),
  );
});
