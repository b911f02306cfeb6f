// Impersonation over HTTPS with an authorizer that refuses some of it: the apiserver
// answers 403 with Kubernetes' Status, or acts as the impersonated user — never as the
// requester while ignoring the headers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { builtinRegistry } from '../../../src/api/builtin.js';
import { ApiServer } from '../../../src/apiserver/apiserver.js';
import type { Authorizer } from '../../../src/apiserver/auth/types.js';
import { MemoryStore } from '../../../src/storage/memory.js';
import { ensurePki, type Pki } from '../../../src/util/pki.js';

let dir: string;
let pki: Pki;
let api: ApiServer;
let port: number;

// Admin may impersonate anyone but bob and the group "root".
const authorizer: Authorizer = {
  authorize: (a) =>
    a.verb === 'impersonate' && ((a.resource === 'users' && a.name === 'bob') || (a.resource === 'groups' && a.name === 'root'))
      ? { decision: 'no-opinion' }
      : { decision: 'allow' },
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-impersonation-'));
  pki = await ensurePki(dir);
  api = new ApiServer({
    store: new MemoryStore(),
    registry: builtinRegistry(),
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    bindAddress: '127.0.0.1',
    port: 0,
    authentication: { authorizer },
  });
  port = await api.start();
});
after(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function whoami(headers: Record<string, string | string[]>): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        ca: pki.caCert,
        cert: pki.adminCert,
        key: pki.adminKey,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('an allowed impersonation acts as the impersonated user', async () => {
  const r = await whoami({ 'Impersonate-User': 'alice', 'Impersonate-Group': ['devs', 'ops'] });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.status.userInfo, { username: 'alice', groups: ['devs', 'ops', 'system:authenticated'] });
  const self = await whoami({});
  assert.equal(self.body.status.userInfo.username, 'system:admin');
});

test('a refused impersonation is 403 with Kubernetes message', async () => {
  const r = await whoami({ 'Impersonate-User': 'bob' });
  assert.equal(r.status, 403);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.reason, 'Forbidden');
  assert.equal(r.body.message, 'users "bob" is forbidden: User "system:admin" cannot impersonate resource "users" in API group "" at the cluster scope');
  const g = await whoami({ 'Impersonate-User': 'alice', 'Impersonate-Group': 'root' });
  assert.equal(g.status, 403);
  assert.match(g.body.message, /^groups "root" is forbidden: User "system:admin" cannot impersonate resource "groups"/);
});
