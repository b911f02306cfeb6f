// Which requests the CSR approver approves on its own and which the signer refuses, on
// requests made with real keys; and when a node's certificate counts as usable and is renewed.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { approvalFor } from '../../src/controllers/certificates/approver.js';
import { signerProblem, SIGNER } from '../../src/controllers/certificates/recognize.js';
import { rotationDeadline, usableCert } from '../../src/kubelet/node-credentials.js';
import { ensurePki } from '../../src/util/pki.js';
import { createCsr, newKey, parseCsr } from '../../src/util/x509.js';

async function csr(
  cn: string,
  orgs: string[],
  signerName: string,
  usages: string[],
  who: { username: string; groups: string[] },
  san?: { dns: string[]; ips: string[] },
) {
  const { keys } = await newKey();
  const request = await createCsr(keys, cn, orgs, san);
  return {
    metadata: { name: 'x' },
    spec: { request: Buffer.from(request).toString('base64'), signerName, usages, username: who.username, groups: who.groups },
  } as CertificateSigningRequest;
}

const bootstrapper = { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] };
const nodeA = { username: 'system:node:a', groups: ['system:nodes', 'system:authenticated'] };
const CLIENT = ['digital signature', 'client auth'];

test('csrapproving: node client requests from bootstrappers and the node itself; a node’s own serving request; nothing else', async () => {
  assert.equal(approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletClient, CLIENT, bootstrapper)), 'nodeclient');
  assert.equal(approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletClient, CLIENT, nodeA)), 'selfnodeclient');
  const san = { dns: ['a'], ips: ['10.0.0.5'] };
  assert.equal(
    approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletServing, ['digital signature', 'server auth'], nodeA, san)),
    'selfnodeserving',
  );
  // Another node's certificate, asked for by node a: not approved.
  assert.equal(approvalFor(await csr('system:node:b', ['system:nodes'], SIGNER.kubeletClient, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:node:b', ['system:nodes'], SIGNER.kubeletServing, ['server auth'], nodeA, san)), undefined);
  // A bootstrapper asking for a serving certificate, or for admin rights: a human decides.
  assert.equal(approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletServing, ['server auth'], bootstrapper, san)), undefined);
  assert.equal(approvalFor(await csr('system:node:a', ['system:nodes', 'system:masters'], SIGNER.kubeletClient, CLIENT, bootstrapper)), undefined);
  assert.equal(approvalFor(await csr('admin', ['system:masters'], SIGNER.apiserverClient, CLIENT, bootstrapper)), undefined);
  // Wrong usages for a node client certificate.
  assert.equal(approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletClient, ['server auth', 'client auth'], bootstrapper)), undefined);
  // Someone without either group.
  assert.equal(
    approvalFor(await csr('system:node:a', ['system:nodes'], SIGNER.kubeletClient, CLIENT, { username: 'jane', groups: ['system:authenticated'] })),
    undefined,
  );
});

test("csrapproving: a node's request for its own proxy's, DNS's or ingress's client certificate, exactly those subjects and nothing else", async () => {
  const API = SIGNER.apiserverClient;
  // What agent a asks for with its node certificate.
  assert.equal(approvalFor(await csr('system:kube-proxy', [], API, CLIENT, nodeA)), 'nodecomponent');
  assert.equal(approvalFor(await csr('system:skiff-dns:a', ['system:skiff-dns'], API, CLIENT, nodeA)), 'nodecomponent');
  assert.equal(approvalFor(await csr('system:skiff-ingress:a', ['system:skiff-ingress'], API, ['client auth'], nodeA)), 'nodecomponent');
  // Admin rights, another node's identity or another node's components: a human decides.
  assert.equal(approvalFor(await csr('system:admin', ['system:masters'], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:kube-proxy', ['system:masters'], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:node:b', ['system:nodes'], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:skiff-dns:b', ['system:skiff-dns'], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:skiff-ingress:b', ['system:skiff-ingress'], API, CLIENT, nodeA)), undefined);
  // The right name with extra or missing groups.
  assert.equal(approvalFor(await csr('system:skiff-dns:a', ['system:skiff-dns', 'system:masters'], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:skiff-dns:a', [], API, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:skiff-dns:a', ['system:skiff-ingress'], API, CLIENT, nodeA)), undefined);
  // Usages beyond a client's, or subject alternative names.
  assert.equal(approvalFor(await csr('system:kube-proxy', [], API, ['client auth', 'server auth'], nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:kube-proxy', [], API, CLIENT, nodeA, { dns: ['kubernetes'], ips: [] })), undefined);
  // The same subjects under the node signers, or asked for by anyone but a node.
  assert.equal(approvalFor(await csr('system:kube-proxy', [], SIGNER.kubeletClient, CLIENT, nodeA)), undefined);
  assert.equal(approvalFor(await csr('system:kube-proxy', [], API, CLIENT, bootstrapper)), undefined);
  assert.equal(
    approvalFor(await csr('system:skiff-dns:a', ['system:skiff-dns'], API, CLIENT, { username: 'system:node:a', groups: ['system:authenticated'] })),
    undefined,
  );
  assert.equal(approvalFor(await csr('system:skiff-dns:a', ['system:skiff-dns'], API, CLIENT, { username: 'a', groups: ['system:nodes'] })), undefined);
});

test('csrsigning: what each built-in signer refuses, in Kubernetes’ words', async () => {
  const { keys } = await newKey();
  const parsed = async (cn: string, orgs: string[], san?: { dns: string[]; ips: string[] }) => parseCsr(await createCsr(keys, cn, orgs, san));
  assert.equal(signerProblem(SIGNER.kubeletClient, await parsed('system:node:a', ['system:nodes']), CLIENT), undefined);
  assert.equal(signerProblem(SIGNER.kubeletClient, await parsed('jane', ['system:nodes']), CLIENT), 'subject common name does not begin with system:node:');
  assert.equal(signerProblem(SIGNER.kubeletClient, await parsed('system:node:a', ['devs']), CLIENT), 'subject organization is not system:nodes');
  assert.equal(
    signerProblem(SIGNER.kubeletClient, await parsed('system:node:a', ['system:nodes'], { dns: ['a'], ips: [] }), CLIENT),
    'subject alternative names are not allowed',
  );
  assert.equal(signerProblem(SIGNER.kubeletServing, await parsed('system:node:a', ['system:nodes']), ['server auth']), 'DNS or IP subjectAltName is required');
  assert.equal(
    signerProblem(SIGNER.apiserverClient, await parsed('jane', []), ['client auth', 'server auth']),
    'invalid usage for client certificate: server auth',
  );
  assert.equal(
    signerProblem(SIGNER.apiserverClient, await parsed('jane', []), ['digital signature']),
    'missing required usage for client certificate: client auth',
  );
});

test('a node certificate is usable while the cluster CA issued it to that node and it has not expired; renewal comes at 70–90 % of its life', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nodecert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = await ensurePki(dir);
  const pair = await pki.issueClientCert('system:node:a', ['system:nodes']);
  assert.ok(usableCert(pair, pki.caCert, 'system:node:a'));
  assert.equal(usableCert(pair, pki.caCert, 'system:node:b'), undefined, 'another node');
  assert.equal(usableCert(pair, pki.caCert, 'system:node:a', Date.now() + 400 * 24 * 3600_000), undefined, 'expired');
  const other = await ensurePki(join(dir, 'other'));
  assert.equal(usableCert(pair, other.caCert, 'system:node:a'), undefined, 'another CA');
  const c = new X509Certificate(pair.cert);
  const life = Date.parse(c.validTo) - Date.parse(c.validFrom);
  assert.equal(rotationDeadline(c, 0), Date.parse(c.validFrom) + life * 0.7);
  assert.equal(rotationDeadline(c, 1), Date.parse(c.validFrom) + life * 0.9);
});
