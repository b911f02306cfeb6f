// CertificateSigningRequests and bootstrap tokens against a real `skiff server`, driven by the
// real kubectl and openssl: a request approved with `kubectl certificate approve` yields a
// certificate kubectl logs in with; a denied one gets none; a malformed one is a 422 naming
// the field; the server's join token is a bootstrap token that may only ask for a node
// certificate (auto-approved and signed), and an expired bootstrap token is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import test, { after, before } from 'node:test';
import { bootstrapTokenOf, parseJoinToken } from '../../src/apiserver/auth/join-token.js';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { renewClientCert, startCertRotation, type CertAndKey } from '../../src/kubelet/node-credentials.js';
import { createLogger } from '../../src/util/log.js';
import { ensurePki } from '../../src/util/pki.js';
import { newKey, createCsr, name as dn } from '../../src/util/x509.js';
import { startServer, kubectlAt, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let s: TestServer;
let ca: string;

before(async () => {
  s = await startServer();
  ca = readFileSync(join(s.dataDir, 'tls', 'ca.crt'), 'utf8');
});
after(async () => s?.cleanup());

interface Reply {
  status: number;
  body: any;
}

/** A request with a bearer token or a client certificate (no admin credentials). */
function call(method: string, path: string, auth: { token?: string; cert?: string; key?: string }, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: s.port,
        method,
        path,
        ca,
        cert: auth.cert,
        key: auth.key,
        agent: false,
        headers: {
          Accept: 'application/json',
          ...(auth.token ? { Authorization: `Bearer ${auth.token}` } : {}),
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

function opensslCsr(dir: string, subj: string): { csr: string; keyFile: string } {
  const keyFile = join(dir, `${subj.replace(/\W/g, '_')}.key`);
  const csrFile = `${keyFile}.csr`;
  execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-subj', subj, '-out', csrFile],
    {
      stdio: 'ignore',
    },
  );
  return { csr: readFileSync(csrFile, 'utf8'), keyFile };
}

const csrYaml = (name: string, request: string, extra = '') => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata: {name: ${name}}
spec:
  request: ${Buffer.from(request).toString('base64')}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [client auth]
${extra}`;

async function getCsr(name: string, kc = s.kubectl): Promise<any> {
  const r = await kc(['get', 'csr', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('kubectl certificate approve on an openssl CSR yields a certificate kubectl logs in with, as the user its CN names', async () => {
  const { csr, keyFile } = opensslCsr(s.dataDir, '/CN=jane/O=devs');
  const created = await s.kubectl(['create', '-f', '-'], { input: csrYaml('jane', csr) });
  assert.equal(created.code, 0, created.stderr);
  const pending = await getCsr('jane');
  assert.equal(pending.spec.username, 'system:admin', 'the requester is recorded');
  assert.equal(pending.status?.certificate, undefined);
  const listed = await s.kubectl(['get', 'csr', 'jane']);
  assert.match(listed.stdout, /jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+system:admin\s+24h\s+Pending/);

  const approved = await s.kubectl(['certificate', 'approve', 'jane']);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, /certificatesigningrequest.certificates.k8s.io\/jane approved/);
  const issued = await waitFor(
    'the certificate to be issued',
    10_000,
    async () => ((await getCsr('jane')).status?.certificate ? getCsr('jane') : undefined),
    s.logs,
  );
  const cond = issued.status.conditions.find((c: any) => c.type === 'Approved');
  assert.equal(cond.status, 'True');
  assert.equal(cond.reason, 'KubectlApprove');
  const certPem = Buffer.from(issued.status.certificate, 'base64').toString();
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=jane\nO=devs', 'the subject as requested');
  assert.ok(cert.checkIssued(new X509Certificate(ca)), 'issued by the cluster CA');
  const lifetime = Date.parse(cert.validTo) - Date.now();
  assert.ok(lifetime > 23 * 3600_000 && lifetime <= 24 * 3600_000 + 60_000, `expirationSeconds honoured (${lifetime} ms left)`);

  // kubectl logs in with it; what it creates records it as jane in devs.
  const certFile = join(s.dataDir, 'jane.crt');
  writeFileSync(certFile, certPem);
  const kc = join(s.dataDir, 'jane.kubeconfig');
  writeFileSync(kc, readFileSync(s.kubeconfig));
  const jane = kubectlAt(kc, join(s.dataDir, 'jane-home'));
  const set = await jane(['config', 'set-credentials', 'admin', `--client-certificate=${certFile}`, `--client-key=${keyFile}`, '--embed-certs']);
  assert.equal(set.code, 0, set.stderr);
  // Logged in, jane may do what RBAC grants her group, nothing more.
  const refused = await jane(['get', 'namespace', 'default', '-o', 'name']);
  assert.match(refused.stderr, /User "jane" cannot get resource "namespaces" in API group "" in the namespace "default"/);
  assert.equal((await s.kubectl(['create', 'clusterrolebinding', 'devs-view', '--clusterrole=view', '--group=devs'])).code, 0);
  assert.equal((await s.kubectl(['create', 'clusterrolebinding', 'devs-csr', '--clusterrole=system:node-bootstrapper', '--group=devs'])).code, 0);
  const ns = await waitFor(
    'the binding to reach the authorizer',
    10_000,
    async () => {
      const r = await jane(['get', 'namespace', 'default', '-o', 'name']);
      return r.code === 0 ? r : undefined;
    },
    s.logs,
  );
  assert.equal(ns.stdout.trim(), 'namespace/default');
  const second = opensslCsr(s.dataDir, '/CN=jane-second');
  const byJane = await jane(['create', '-f', '-'], { input: csrYaml('by-jane', second.csr) });
  assert.equal(byJane.code, 0, byJane.stderr);
  const seen = await getCsr('by-jane');
  assert.equal(seen.spec.username, 'jane');
  assert.deepEqual(seen.spec.groups, ['devs', 'system:authenticated']);
});

test('kubectl certificate deny: the request is Denied and never signed; approval cannot be given afterwards', async () => {
  const { csr } = opensslCsr(s.dataDir, '/CN=mallory');
  assert.equal((await s.kubectl(['create', '-f', '-'], { input: csrYaml('mallory', csr) })).code, 0);
  const denied = await s.kubectl(['certificate', 'deny', 'mallory']);
  assert.equal(denied.code, 0, denied.stderr);
  await new Promise((r) => setTimeout(r, 1500));
  const obj = await getCsr('mallory');
  assert.equal(obj.status.conditions.find((c: any) => c.type === 'Denied')?.status, 'True');
  assert.equal(obj.status.certificate, undefined, 'no certificate for a denied request');
  const listed = await s.kubectl(['get', 'csr', 'mallory', '--no-headers']);
  assert.match(listed.stdout, /\sDenied\s*$/);
  const approve = await s.kubectl(['certificate', 'approve', 'mallory']);
  assert.notEqual(approve.code, 0);
  assert.match(approve.stderr, /mutually exclusive|denied/i);
});

test('an invalid CSR is refused with 422 naming the field', async () => {
  const bad = (spec: Record<string, unknown>) =>
    s.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'bad' }, spec }),
    });
  const { csr } = opensslCsr(s.dataDir, '/CN=valid');
  const good = Buffer.from(csr).toString('base64');
  const notPem = await bad({
    request: Buffer.from('not a certificate request').toString('base64'),
    signerName: 'kubernetes.io/kube-apiserver-client',
    usages: ['client auth'],
  });
  assert.notEqual(notPem.code, 0);
  assert.match(notPem.stderr, /CertificateSigningRequest "bad" is invalid: spec\.request: Invalid value: .*PEM block type must be CERTIFICATE REQUEST/);
  const r = await bad({ request: good, signerName: 'nodomain', usages: [], expirationSeconds: 60 });
  assert.match(r.stderr, /spec\.signerName: Invalid value: "nodomain": must be a fully qualified domain and path/);
  assert.match(r.stderr, /spec\.usages: Required value/);
  assert.match(r.stderr, /spec\.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds/);
  const usage = await bad({ request: good, signerName: 'example.com/mine', usages: ['client auth', 'flying'] });
  assert.match(usage.stderr, /spec\.usages\[1\]: Unsupported value: "flying"/);
  // The same through the API directly: a 422 Status with the causes.
  const admin = JSON.parse(execFileSync('kubectl', ['--kubeconfig', s.kubeconfig, 'config', 'view', '--raw', '-o', 'json'], { encoding: 'utf8' }));
  const user = admin.users[0].user;
  const reply = await call(
    'POST',
    '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    { cert: Buffer.from(user['client-certificate-data'], 'base64').toString(), key: Buffer.from(user['client-key-data'], 'base64').toString() },
    {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'bad' },
      spec: { request: good, signerName: 'example.com/x' },
    },
  );
  assert.equal(reply.status, 422);
  assert.deepEqual(
    reply.body.details.causes.map((c: any) => c.field),
    ['spec.usages'],
  );
});

test('the join token is a bootstrap token: it may only ask for a node certificate, which is approved and signed; the old bearer form is gone', async () => {
  const { secret } = parseJoinToken(readFileSync(join(s.dataDir, 'token'), 'utf8'));
  const boot = bootstrapTokenOf(secret);
  const secretObj = await s.kubectl(['get', 'secret', '-n', 'kube-system', `bootstrap-token-${boot.id}`, '-o', 'jsonpath={.type}']);
  assert.equal(secretObj.stdout, 'bootstrap.kubernetes.io/token');

  // The token alone reads no Secret and lists no Node, with Kubernetes' message.
  const secrets = await call('GET', '/api/v1/namespaces/kube-system/secrets', { token: boot.token });
  assert.equal(secrets.status, 403);
  assert.equal(
    secrets.body.message,
    `secrets is forbidden: User "system:bootstrap:${boot.id}" cannot list resource "secrets" in API group "" in the namespace "kube-system"`,
  );
  const oneSecret = await call('GET', `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${boot.id}`, { token: boot.token });
  assert.equal(oneSecret.status, 403);
  assert.equal((await call('GET', '/api/v1/nodes', { token: boot.token })).status, 403);
  assert.equal((await call('DELETE', '/api/v1/nodes/anything', { token: boot.token })).status, 403);
  // The bearer form earlier agents used is not a credential any more.
  assert.equal((await call('GET', '/api/v1/nodes', { token: `node:n1:${secret}` })).status, 401);

  // It may ask for system:node:n-boot's client certificate: auto-approved (nodeclient) and signed.
  const { keys, pem } = await newKey();
  const request = await createCsr(keys, 'system:node:n-boot', ['system:nodes']);
  const created = await call(
    'POST',
    '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    { token: boot.token },
    {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'node-csr-' },
      spec: {
        request: Buffer.from(request).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    },
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.spec.username, `system:bootstrap:${boot.id}`);
  assert.deepEqual(created.body.spec.groups, ['system:bootstrappers', 'system:bootstrappers:skiff:default-node-token', 'system:authenticated']);
  const name = created.body.metadata.name;
  const signed = await waitFor(
    'the node CSR to be approved and signed',
    10_000,
    async () => {
      const r = await call('GET', `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`, { token: boot.token });
      return r.body?.status?.certificate ? r.body : undefined;
    },
    s.logs,
  );
  assert.equal(signed.status.conditions[0].reason, 'AutoApproved');
  const cert = Buffer.from(signed.status.certificate, 'base64').toString();
  assert.equal(new X509Certificate(cert).subject, 'O=system:nodes\nCN=system:node:n-boot');
  assert.equal((await call('GET', '/api/v1/nodes', { cert, key: pem })).status, 200, 'the node certificate is a credential');

  // A bootstrap token may not approve its own request for someone else's client certificate.
  const other = await createCsr(keys, 'root', ['system:masters']);
  const sneaky = await call(
    'POST',
    '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    { token: boot.token },
    {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'sneaky' },
      spec: { request: Buffer.from(other).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
    },
  );
  assert.equal(sneaky.status, 201);
  const approve = await call(
    'PUT',
    '/apis/certificates.k8s.io/v1/certificatesigningrequests/sneaky/approval',
    { token: boot.token },
    {
      ...sneaky.body,
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Mine' }] },
    },
  );
  assert.equal(approve.status, 403);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await getCsr('sneaky')).status?.certificate, undefined, 'not approved automatically either');
});

test('a bootstrap token stops working when its Secret expires', async () => {
  const until = new Date(Date.now() + 10_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const secret = (id: string, expiration: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': id, 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', expiration },
  });
  const applied = await s.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [secret('soonxx', until), secret('pastxx', past)] }),
  });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((await call('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', { token: 'pastxx.0123456789abcdef' })).status, 401);
  const before = await call('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', { token: 'soonxx.0123456789abcdef' });
  assert.equal(before.status, 200, `${JSON.stringify(before.body)} at ${new Date().toISOString()}, expiring ${until}`);
  await waitFor(
    'the token to expire',
    25_000,
    async () =>
      (await call('GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests', { token: 'soonxx.0123456789abcdef' })).status === 401 ? true : undefined,
    s.logs,
  );
});

test('a node client certificate near its end is renewed by the node itself, stored 0600, and the client switches to it', async () => {
  const pki = await ensurePki(s.dataDir);
  const { keys, pem } = await newKey();
  // Ends in 30 s: its rotation deadline (70–90 % of its life) has passed already.
  const cert = await pki.sign({ subject: dn('system:node:rot', ['system:nodes']), publicKey: keys.publicKey, usage: 'client', notAfter: Date.now() + 30_000 });
  const transport = new HttpsTransport({ server: s.url, ca, cert, key: pem });
  const client = new Client(transport);
  const log = createLogger('rotation-test');
  const o = { server: s.url, ca, dir: join(s.dataDir, 'rot-pki'), nodeName: 'rot', log };
  try {
    const next = await new Promise<CertAndKey>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no rotation within 20 s')), 20_000);
      const r = startCertRotation(
        'node client',
        { cert, key: pem },
        renewClientCert(client, o),
        (pair) => {
          clearTimeout(timer);
          r.stop();
          transport.rotateClientCertificate(pair.cert, pair.key);
          resolve(pair);
        },
        log,
      );
    });
    const c = new X509Certificate(next.cert);
    assert.equal(c.subject, 'O=system:nodes\nCN=system:node:rot');
    assert.ok(Date.parse(c.validTo) > Date.now() + 300 * 24 * 3600_000, 'a full-length certificate');
    assert.equal(readFileSync(join(o.dir, 'kubelet-client.crt'), 'utf8'), next.cert);
    assert.equal(statSync(join(o.dir, 'kubelet-client.key')).mode & 0o777, 0o600);
    const csrs = JSON.parse((await s.kubectl(['get', 'csr', '-o', 'json'])).stdout).items as any[];
    const renewal = csrs.find((x) => x.spec.username === 'system:node:rot');
    assert.equal(renewal?.status.conditions[0].message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
    const nodes = await client.nodes.list();
    assert.ok(Array.isArray(nodes.items), 'the client works on the new certificate');
  } finally {
    client.close();
  }
});
