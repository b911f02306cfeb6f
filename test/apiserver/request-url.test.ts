// requestUrl splits plain request targets itself: for every target it must give the pathname
// and query parameters the WHATWG URL parser gives, which the server used before.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { requestUrl } from '../../src/apiserver/request-info.js';

const TARGETS = [
  '/api/v1/namespaces/bench/configmaps',
  '/api/v1/pods?resourceVersion=0&limit=500',
  '/apis/apps/v1/namespaces/a/deployments/x/status?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
  '/api/v1/namespaces/a/configmaps/%2e%2e',
  '/api/v1/namespaces/a/configmaps/.%2E/b',
  '/api/v1/./x',
  '/api/v1/x/..',
  '//evil/api',
  '/api/v1/x?a=b c',
  '/api/v1/x?a=%zz&b=%C3%A9&c=\u00e9',
  '/api/v1/x#frag',
  '/api/v1/x?a=1#frag',
  '/api/v1/x/',
  '/api/v1/x%2Fy',
  '/a\\b',
  '/api/v1/x?q="<>\'',
  '/api/v1/x?labelSelector=app+in+(a,b)&watch',
  '/api/v1/na{me}',
  '/api/v1/caf\u00e9',
  '/',
  '/?',
];

test('requestUrl gives the pathname and query of WHATWG URL parsing for every target', () => {
  for (const target of TARGETS) {
    const got = requestUrl({ url: target } as IncomingMessage);
    const want = new URL(target, 'https://localhost');
    assert.equal(got.pathname, want.pathname, target);
    assert.deepEqual([...got.searchParams], [...want.searchParams], target);
    assert.equal(got.searchParams.toString(), want.searchParams.toString(), target);
  }
});

test('requestUrl parses a request once', () => {
  const req = { url: '/api/v1/pods?limit=1' } as IncomingMessage;
  assert.equal(requestUrl(req), requestUrl(req));
});
