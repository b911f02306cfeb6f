// The route table matches as the Ingress API documents: exact host before `*.` wildcard (one
// label) before host-less rules; longest path, Exact before Prefix on a tie; Prefix by whole
// path element; defaultBackend when nothing matches; the older Ingress wins a conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ingress, HTTPIngressPath } from 'kubernetes-types/networking/v1.js';
import { RouteTable, prefixMatches, rewritePath, wildcardMatches } from '../../src/ingress/route-table.js';

const path = (p: string, pathType: string, svc: string, port: number | string = 80): HTTPIngressPath => ({
  path: p,
  pathType,
  backend: { service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } } },
});

function ing(name: string, created: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: 'default', uid: name, creationTimestamp: created, annotations },
    spec,
  };
}

const svcAt = (t: RouteTable, host: string, p: string) => t.match(host, p)?.backend.service;

test('Prefix matches by path element, not by string prefix; a trailing slash is ignored', () => {
  assert.equal(prefixMatches('/foo', '/foo'), true);
  assert.equal(prefixMatches('/foo', '/foo/'), true);
  assert.equal(prefixMatches('/foo', '/foo/bar'), true);
  assert.equal(prefixMatches('/foo', '/foobar'), false);
  assert.equal(prefixMatches('', '/anything'), true);
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', { rules: [{ http: { paths: [path('/aaa/bbb/', 'Prefix', 'b'), path('/', 'Prefix', 'root')] } }] }),
  ]);
  assert.equal(svcAt(t, 'x', '/aaa/bbb'), 'b');
  assert.equal(svcAt(t, 'x', '/aaa/bbb/ccc'), 'b');
  assert.equal(svcAt(t, 'x', '/aaa/bbbxyz'), 'root');
  assert.equal(svcAt(t, 'x', '/aaa/bbb?q=1'), 'b');
});

test('longest path wins; Exact before Prefix of the same path; ImplementationSpecific is Prefix', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', {
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              path('/', 'Prefix', 'root'),
              path('/api', 'Prefix', 'api'),
              path('/api', 'Exact', 'api-exact'),
              path('/api/v1', 'ImplementationSpecific', 'v1'),
            ],
          },
        },
      ],
    }),
  ]);
  assert.equal(svcAt(t, 'foo.com', '/api'), 'api-exact');
  assert.equal(svcAt(t, 'foo.com', '/api/'), 'api');
  assert.equal(svcAt(t, 'foo.com', '/api/v1/x'), 'v1');
  assert.equal(svcAt(t, 'foo.com', '/apix'), 'root');
  assert.equal(svcAt(t, 'FOO.com:8080', '/api/v2'), 'api');
});

test('exact host before a one-label wildcard before host-less rules; then defaultBackend', () => {
  assert.equal(wildcardMatches('*.foo.com', 'bar.foo.com'), true);
  assert.equal(wildcardMatches('*.foo.com', 'baz.bar.foo.com'), false);
  assert.equal(wildcardMatches('*.foo.com', 'foo.com'), false);
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', {
      defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
      rules: [
        { host: 'bar.foo.com', http: { paths: [path('/', 'Prefix', 'exact')] } },
        { host: '*.foo.com', http: { paths: [path('/', 'Prefix', 'wild')] } },
        { http: { paths: [path('/any', 'Prefix', 'anyhost')] } },
      ],
    }),
  ]);
  assert.equal(svcAt(t, 'bar.foo.com', '/'), 'exact');
  assert.equal(svcAt(t, 'baz.foo.com', '/'), 'wild');
  assert.equal(svcAt(t, 'a.baz.foo.com', '/any/x'), 'anyhost');
  assert.equal(svcAt(t, 'foo.com', '/'), 'fallback');
  assert.equal(svcAt(t, 'other.org', '/nothing'), 'fallback');
  assert.deepEqual(t.match('x', '/any')?.backend, { namespace: 'default', service: 'anyhost', port: 80 });
});

test('backend ports by number or name; resource backends are rejected with a problem', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', {
      rules: [
        {
          host: 'h',
          http: {
            paths: [
              path('/n', 'Prefix', 's', 8080),
              path('/named', 'Prefix', 's', 'web'),
              { path: '/r', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'b' } } },
            ],
          },
        },
      ],
    }),
  ]);
  assert.equal(t.match('h', '/n')?.backend.port, 8080);
  assert.equal(t.match('h', '/named')?.backend.port, 'web');
  assert.equal(t.match('h', '/r'), undefined);
  assert.equal(t.problems.length, 1);
  assert.equal(t.problems[0]!.reason, 'UnsupportedBackend');
  assert.match(t.problems[0]!.message, /StorageBucket\/b/);
});

test('the same host and path in two Ingresses: the older wins, the problem names the loser', () => {
  const older = ing('older', '2024-01-01T00:00:00Z', { rules: [{ host: 'h', http: { paths: [path('/x', 'Prefix', 'one')] } }] });
  const newer = ing('newer', '2024-02-01T00:00:00Z', {
    rules: [{ host: 'h', http: { paths: [path('/x/', 'Prefix', 'two'), path('/y', 'Prefix', 'three')] } }],
  });
  for (const order of [
    [older, newer],
    [newer, older],
  ]) {
    const t = RouteTable.build(order);
    assert.equal(svcAt(t, 'h', '/x'), 'one');
    assert.equal(svcAt(t, 'h', '/y'), 'three');
    assert.equal(t.problems.length, 1);
    assert.equal(t.problems[0]!.ingress.metadata!.name, 'newer');
    assert.match(t.problems[0]!.message, /default\/newer.*older Ingress default\/older/);
  }
});

test('created in the same second: the one seen first wins, whatever the names', () => {
  const first = ing('zz-first', '2024-01-01T00:00:00Z', { rules: [{ host: 'h', http: { paths: [path('/', 'Prefix', 'one')] } }] });
  const second = ing('aa-second', '2024-01-01T00:00:00Z', { rules: [{ host: 'h', http: { paths: [path('/', 'Prefix', 'two')] } }] });
  const order = new Map([
    ['zz-first', 0],
    ['aa-second', 1],
  ]);
  const t = RouteTable.build([second, first], (i) => order.get(i.metadata!.name!)!);
  assert.equal(svcAt(t, 'h', '/'), 'one');
  assert.equal(t.problems[0]!.ingress.metadata!.name, 'aa-second');
});

test('tls hosts: redirect flag on their routes, Secrets listed per name', () => {
  const t = RouteTable.build([
    ing('a', '2024-01-01T00:00:00Z', {
      tls: [{ hosts: ['secure.com', '*.wild.com'], secretName: 'cert' }],
      rules: [
        { host: 'secure.com', http: { paths: [path('/', 'Prefix', 's')] } },
        { host: 'plain.com', http: { paths: [path('/', 'Prefix', 'p')] } },
      ],
    }),
  ]);
  assert.equal(t.match('secure.com', '/')?.tls, true);
  assert.equal(t.match('plain.com', '/')?.tls, false);
  assert.deepEqual(t.tlsSecrets.get('secure.com'), ['default/cert']);
  assert.equal(t.hasTLS('a.wild.com'), true);
});

test('rewrite-target replaces the matched part of the path, keeping the rest and the query', () => {
  assert.equal(rewritePath('/', '/api', '/api/v1?x=1'), '/v1?x=1');
  assert.equal(rewritePath('/', '/api', '/api'), '/');
  assert.equal(rewritePath('/new', '/old', '/old/a'), '/new/a');
  assert.equal(rewritePath('/', '', '/a/b'), '/a/b');
  const t = RouteTable.build([ing('a', '2024-01-01T00:00:00Z', { rules: [{ http: { paths: [path('/api/', 'Prefix', 's')] } }] })]);
  assert.deepEqual(t.match('h', '/api/x')?.matched, { kind: 'Prefix', path: '/api' });
});

test('paths that do not start with "/" are dropped, regex-like ImplementationSpecific ones matched literally, each with a problem', () => {
  const t = RouteTable.build([
    ing('r', '2024-01-01T00:00:00Z', {
      rules: [
        {
          host: 'x.test',
          http: { paths: [path('api', 'Prefix', 'no-slash'), path('/v[0-9]+', 'ImplementationSpecific', 'regexish'), path('/', 'Prefix', 'root')] },
        },
      ],
    }),
  ]);
  assert.deepEqual(
    t.problems.map((p) => [p.ingress.metadata?.name, p.reason]),
    [
      ['r', 'InvalidPath'],
      ['r', 'InvalidPath'],
    ],
  );
  assert.match(t.problems[0]!.message, /spec\.rules\[0\]\.http\.paths\[0\]: path "api" must start with '\/'/);
  assert.match(t.problems[1]!.message, /"\/v\[0-9\]\+" looks like a regular expression/);
  assert.equal(svcAt(t, 'x.test', '/api'), 'root');
  // Literal, element-wise: only the path itself (and below it) matches, not /v1.
  assert.equal(svcAt(t, 'x.test', '/v[0-9]+/a'), 'regexish');
  assert.equal(svcAt(t, 'x.test', '/v1'), 'root');
});
