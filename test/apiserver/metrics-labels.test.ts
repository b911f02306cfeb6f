// The labels of a request's series, as kube-apiserver reports them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResourcePath } from '../../src/apiserver/request-info.js';
import { isLongRunning, requestLabels } from '../../src/apiserver/metrics/request-labels.js';

function labels(method: string, url: string, contentType?: string) {
  const u = new URL(url, 'https://x');
  const info = parseResourcePath(method, u.pathname, u.searchParams);
  const l = requestLabels(method, info, u.searchParams, contentType);
  return { ...l, longRunning: isLongRunning(l, info, u.searchParams) };
}

test('verbs and scopes as kube-apiserver reports them', () => {
  const cases: [string, string, string | undefined, string, string][] = [
    ['GET', '/api/v1/pods', undefined, 'LIST', 'cluster'],
    ['GET', '/api/v1/namespaces/d/pods', undefined, 'LIST', 'namespace'],
    ['GET', '/api/v1/namespaces/d/pods/a', undefined, 'GET', 'resource'],
    ['GET', '/api/v1/namespaces/d/pods?watch=true', undefined, 'WATCH', 'namespace'],
    ['POST', '/api/v1/namespaces/d/pods', 'application/json', 'POST', 'resource'],
    ['PUT', '/apis/apps/v1/namespaces/d/deployments/a', 'application/json', 'PUT', 'resource'],
    ['PATCH', '/apis/apps/v1/namespaces/d/deployments/a', 'application/apply-patch+yaml; charset=utf-8', 'APPLY', 'resource'],
    ['PATCH', '/apis/apps/v1/namespaces/d/deployments/a', 'application/merge-patch+json', 'PATCH', 'resource'],
    ['DELETE', '/api/v1/namespaces/d/pods', undefined, 'DELETE', 'namespace'],
    ['POST', '/api/v1/namespaces/d/pods/a/exec', undefined, 'CONNECT', 'resource'],
  ];
  for (const [method, url, ct, verb, scope] of cases) {
    const l = labels(method, url, ct);
    assert.equal(l.verb, verb, `${method} ${url}`);
    assert.equal(l.scope, scope, `${method} ${url}`);
    assert.equal(l.component, 'apiserver');
  }
  const d = labels('PATCH', '/apis/apps/v1/namespaces/d/deployments/a/scale?dryRun=All', 'application/merge-patch+json');
  assert.deepEqual([d.group, d.version, d.resource, d.subresource, d.dry_run], ['apps', 'v1', 'deployments', 'scale', 'All']);
  assert.equal(labels('GET', '/api/v1/namespaces/d/pods/a/nonsense').subresource, '');
  const n = labels('GET', '/healthz');
  assert.deepEqual([n.verb, n.resource, n.scope], ['GET', '', '']);
});

test('long-running requests: watches, streams and followed logs', () => {
  assert.equal(labels('GET', '/api/v1/pods?watch=1').longRunning, true);
  assert.equal(labels('POST', '/api/v1/namespaces/d/pods/a/exec').longRunning, true);
  assert.equal(labels('GET', '/api/v1/namespaces/d/pods/a/log?follow=true').longRunning, true);
  assert.equal(labels('GET', '/api/v1/namespaces/d/pods/a/log').longRunning, false);
  assert.equal(labels('GET', '/api/v1/pods').longRunning, false);
});
