// Audit seen from outside: a server started with a policy and a log path writes
// audit.k8s.io/v1 Events as JSON lines for what real kubectl does, at the level the
// policy gives each request, with the stages it keeps, and rotates its log by size.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';

interface AuditEvent {
  kind: string;
  apiVersion: string;
  level: string;
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user: { username: string; groups: string[] };
  impersonatedUser?: { username: string; groups: string[] };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: { resource: string; namespace?: string; name?: string; apiVersion?: string };
  responseStatus?: { code: number; status?: string; reason?: string; message?: string };
  requestObject?: { metadata?: { name?: string; managedFields?: unknown }; data?: Record<string, string> };
  responseObject?: { metadata?: { name?: string; managedFields?: unknown; resourceVersion?: string } };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: true
rules:
  - level: None
    nonResourceURLs: ["/api*", "/openapi*", "/version", "/healthz*", "/readyz*", "/livez*"]
  - level: RequestResponse
    resources: [{group: "", resources: ["configmaps"]}]
  - level: Request
    resources: [{group: "", resources: ["secrets"]}]
    omitStages: [RequestReceived]
  - level: Metadata
    resources: [{group: "", resources: ["pods"]}]
`;

describe('audit log', () => {
  let s: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
  const logPath = join(dir, 'audit.log');
  const kubectl = kubectlOk(() => s);
  const events = (): AuditEvent[] =>
    readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  before(async () => {
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    s = await startServer({ args: ['--audit-policy-file', join(dir, 'policy.yaml'), '--audit-log-path', logPath] });
  });
  after(async () => {
    await s?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('RequestResponse: a create is recorded at both stages with the request and response bodies', async () => {
    await kubectl(['create', 'configmap', 'audited', '--from-literal=k=v']);
    const mine = events().filter((e) => e.objectRef?.resource === 'configmaps' && e.verb === 'create');
    assert.deepEqual(
      mine.map((e) => e.stage),
      ['RequestReceived', 'ResponseComplete'],
    );
    const [received, done] = mine as [AuditEvent, AuditEvent];
    assert.equal(received.auditID, done.auditID);
    for (const e of mine) {
      assert.equal(e.kind, 'Event');
      assert.equal(e.apiVersion, 'audit.k8s.io/v1');
      assert.equal(e.level, 'RequestResponse');
      assert.equal(e.requestURI.split('?')[0], '/api/v1/namespaces/default/configmaps');
      assert.equal(e.user.username, 'system:admin');
      assert.ok(e.user.groups.includes('system:masters'));
      assert.deepEqual(e.sourceIPs, ['127.0.0.1']);
      assert.match(e.userAgent ?? '', /^kubectl\//);
      assert.deepEqual(e.objectRef, { resource: 'configmaps', namespace: 'default', apiVersion: 'v1' });
      assert.match(e.requestReceivedTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    // As in Kubernetes, the body is known only after RequestReceived is written.
    assert.equal(received.requestObject, undefined);
    assert.equal(done.requestObject?.data?.k, 'v');
    assert.equal(received.responseStatus, undefined);
    assert.equal(done.responseStatus?.code, 201);
    assert.equal(done.responseObject?.metadata?.name, 'audited');
    assert.ok(done.responseObject?.metadata?.resourceVersion);
    assert.equal(done.responseObject?.metadata?.managedFields, undefined, 'omitManagedFields: true');
  });

  test('a failed request carries its Status; Request level has no response body; omitted stages are omitted', async () => {
    const r = await s.kubectl(['get', 'secret', 'no-such-secret']);
    assert.notEqual(r.code, 0);
    const mine = events().filter((e) => e.objectRef?.resource === 'secrets' && e.objectRef.name === 'no-such-secret');
    assert.deepEqual(
      mine.map((e) => e.stage),
      ['ResponseComplete'],
    );
    const e = mine[0]!;
    assert.equal(e.level, 'Request');
    assert.equal(e.verb, 'get');
    assert.deepEqual(
      { code: e.responseStatus?.code, status: e.responseStatus?.status, reason: e.responseStatus?.reason },
      { code: 404, status: 'Failure', reason: 'NotFound' },
    );
    assert.match(e.responseStatus?.message ?? '', /secrets "no-such-secret" not found/);
    assert.equal(e.responseObject, undefined);
  });

  test('Metadata: a watch is recorded when it starts and when it ends, without bodies', async () => {
    const r = await s.kubectl(['get', 'pods', '--watch', '--request-timeout=2s']);
    assert.ok(r.code === 0 || /timeout|Client.Timeout|context deadline/i.test(r.stderr), r.stderr);
    const watch = events().filter((e) => e.objectRef?.resource === 'pods' && e.verb === 'watch');
    assert.deepEqual(
      watch.map((e) => e.stage),
      ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
    );
    assert.ok(watch.every((e) => e.level === 'Metadata' && e.requestObject === undefined && e.responseObject === undefined));
    assert.equal(new Set(watch.map((e) => e.auditID)).size, 1);
    assert.equal(watch[1]!.responseStatus?.code, 200);
    const list = events().filter((e) => e.objectRef?.resource === 'pods' && e.verb === 'list');
    assert.ok(list.length >= 1, 'the list before the watch is audited too');
  });

  test('an impersonated request names who asked as user and whom it acts as as impersonatedUser; a refused one names who asked', async () => {
    await kubectl(['get', 'pods']);
    // jane holds no role: her list is refused, and audited as hers, asked for by the admin.
    const r = await s.kubectl(['get', 'pods', '--as=jane', '--as-group=devs']);
    assert.match(r.stderr, /User "jane" cannot list resource "pods"/);
    const asJane = events().filter((e) => e.objectRef?.resource === 'pods' && e.verb === 'list' && e.impersonatedUser);
    assert.ok(asJane.length >= 1, 'the impersonated list is audited');
    for (const e of asJane) {
      assert.equal(e.user.username, 'system:admin');
      assert.ok(e.user.groups.includes('system:masters'));
      assert.deepEqual(e.impersonatedUser, { username: 'jane', groups: ['devs', 'system:authenticated'] });
    }
    const plain = events().filter((e) => e.objectRef?.resource === 'pods' && e.verb === 'list' && !e.impersonatedUser);
    assert.ok(plain.length >= 1 && plain.every((e) => e.impersonatedUser === undefined), 'requests without --as carry no impersonatedUser');
  });

  test('requests no rule matches, and None rules, write nothing', async () => {
    await kubectl(['get', 'services']);
    await kubectl(['version']);
    const all = events();
    assert.equal(all.filter((e) => e.objectRef?.resource === 'services').length, 0);
    assert.equal(all.filter((e) => e.requestURI.startsWith('/version') || e.requestURI.startsWith('/api?') || e.requestURI === '/api').length, 0);
  });
});

describe('audit log rotation', () => {
  test('past --audit-log-maxsize the log is rotated and old files beyond --audit-log-maxbackup are removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-rot-'));
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n');
    const s = await startServer({
      args: [
        '--audit-policy-file',
        join(dir, 'policy.yaml'),
        '--audit-log-path',
        join(dir, 'audit.log'),
        '--audit-log-maxsize',
        '1',
        '--audit-log-maxbackup',
        '2',
      ],
    });
    try {
      // ~100 KB per ConfigMap at RequestResponse (request and response bodies, two stages): a few MB in all.
      const big = 'x'.repeat(100_000);
      for (let i = 0; i < 30; i++) {
        const r = await s.kubectl(['create', 'configmap', `big-${i}`, `--from-literal=v=${big}`]);
        assert.equal(r.code, 0, r.stderr);
      }
      const files = readdirSync(dir).filter((f) => f.startsWith('audit'));
      const rotated = files.filter((f) => /^audit-\d{4}-\d\d-\d\dT[\d-]+\.\d+\.log$/.test(f));
      assert.ok(files.includes('audit.log'), files.join(' '));
      assert.equal(rotated.length, 2, `rotated files: ${files.join(' ')}`);
      for (const f of files) {
        const text = readFileSync(join(dir, f), 'utf8');
        assert.ok(text.length <= 1024 * 1024 + 1, `${f} is ${text.length} bytes`);
        for (const line of text.split('\n').filter(Boolean)) assert.equal(JSON.parse(line).kind, 'Event');
      }
    } finally {
      await s.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
