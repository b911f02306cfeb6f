// The audit policy alone: parsing with Kubernetes' messages, and which rule decides.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type AuditAttributes, decide, parseAuditPolicy } from '../../src/apiserver/audit/policy.js';

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
  - level: RequestResponse
    resources: [{group: "", resources: ["pods", "pods/log"]}]
    omitStages: [ResponseStarted]
  - level: Request
    resources: [{group: "", resources: ["configmaps"], resourceNames: ["watched"]}]
    namespaces: ["kube-system"]
  - level: Metadata
    resources: [{group: "apps", resources: ["*/scale"]}]
  - level: None
    userGroups: ["system:authenticated"]
    nonResourceURLs: ["/healthz*", "/version"]
  - level: Metadata
    verbs: ["get", "list", "watch", "create"]
`;

const admin = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const res = (a: Partial<AuditAttributes>): AuditAttributes => ({ user: admin, verb: 'get', resourceRequest: true, path: '/x', ...a });

describe('audit policy', () => {
  const p = parseAuditPolicy(POLICY, 'policy.yaml');

  test('the first matching rule sets the level; no match is None', () => {
    assert.equal(decide(p, res({ user: { username: 'system:kube-proxy', groups: [] }, resource: 'pods' })).level, 'None');
    assert.equal(decide(p, res({ resource: 'pods' })).level, 'RequestResponse');
    assert.equal(decide(p, res({ resource: 'pods', subresource: 'log' })).level, 'RequestResponse');
    assert.equal(decide(p, res({ resource: 'pods', subresource: 'exec', verb: 'create' })).level, 'Metadata', 'pods/exec is not pods');
    assert.equal(decide(p, res({ resource: 'configmaps', namespace: 'kube-system', name: 'watched' })).level, 'Request');
    assert.equal(decide(p, res({ resource: 'configmaps', namespace: 'default', name: 'watched', verb: 'delete' })).level, 'None');
    assert.equal(decide(p, res({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', verb: 'update' })).level, 'Metadata');
    assert.equal(decide(p, res({ apiGroup: 'apps', resource: 'deployments', verb: 'update' })).level, 'None');
  });

  test('non-resource paths match nonResourceURLs with a trailing wildcard, never resource rules', () => {
    const nr = (path: string, verb = 'get') => decide(p, { user: admin, verb, resourceRequest: false, path }).level;
    assert.equal(nr('/healthz'), 'None');
    assert.equal(nr('/healthz/etcd'), 'None');
    assert.equal(nr('/version'), 'None');
    assert.equal(nr('/openapi/v2'), 'Metadata', 'falls through to the catch-all verb rule');
    assert.equal(nr('/openapi/v2', 'post'), 'None');
  });

  test('omitStages joins the policy-wide and the rule stages', () => {
    assert.deepEqual([...decide(p, res({ resource: 'pods' })).omitStages].sort(), ['RequestReceived', 'ResponseStarted']);
    assert.deepEqual([...decide(p, res({ resource: 'secrets' })).omitStages], ['RequestReceived']);
  });

  test('bad policies are refused with field paths', () => {
    assert.throws(
      () => parseAuditPolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Verbose\n', 'p.yaml'),
      /rules\[0\]\.level: Unsupported value: "Verbose": supported values: "None", "Metadata", "Request", "RequestResponse"/,
    );
    assert.throws(
      () => parseAuditPolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Sometimes]\nrules: []\n', 'p.yaml'),
      /omitStages\[0\]: Unsupported value: "Sometimes"/,
    );
    assert.throws(
      () =>
        parseAuditPolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: ["/x"]\n  resources: [{group: ""}]\n', 'p.yaml'),
      /rules\[0\]\.nonResourceURLs: Invalid value: .*rules cannot apply to both regular resources and non-resource URLs/,
    );
    assert.throws(() => parseAuditPolicy('kind: ConfigMap\napiVersion: v1\n', 'p.yaml'), /must be audit.k8s.io\/v1 Policy/);
  });
});
