// bench/token-review: how long the apiserver takes to authenticate a service-account token
// bound to a pod — the first time (RS256 signature check) and again (from the verified-token
// cache; the account and the pod are still looked up in the watch cache every time). Also
// the same question asked as a TokenReview through the handler. Loops are bounded in count.
import { builtinRegistry } from '../src/api/builtin.js';
import { ApiServer } from '../src/apiserver/apiserver.js';
import type { ApiRequest } from '../src/apiserver/types.js';
import { MemoryStore } from '../src/storage/memory.js';
import { report, summarize, type Row } from './lib/report.js';

const N = 50_000;
const COLD = 500;
const ADMIN = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

function req(verb: 'create', path: { group: string; resource: string; namespace?: string; name?: string; subresource?: string }, body: unknown): ApiRequest {
  return { verb, version: 'v1', query: new URLSearchParams(), user: ADMIN, body, ...path };
}

async function main(): Promise<void> {
  const api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  const h = api.handler;
  await h.handle(req('create', { group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }));
  await h.handle(
    req('create', { group: '', resource: 'serviceaccounts', namespace: 'bench' }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } }),
  );
  await h.handle(
    req(
      'create',
      { group: '', resource: 'pods', namespace: 'bench' },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'x' }] } },
    ),
  );
  const token = async () =>
    (
      await h.handle(
        req(
          'create',
          { group: '', resource: 'serviceaccounts', namespace: 'bench', name: 'robot', subresource: 'token' },
          { spec: { boundObjectRef: { kind: 'Pod', name: 'p' } } },
        ),
      )
    ).body.status.token as string;
  const chain = api.authn.chain;

  const cold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const t = await token();
    const s = process.hrtime.bigint();
    chain.authenticateToken(t);
    cold.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const t = await token();
  chain.authenticateToken(t);
  const warm: number[] = [];
  for (let i = 0; i < N; i++) {
    const s = process.hrtime.bigint();
    chain.authenticateToken(t);
    warm.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const review: number[] = [];
  const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: t } };
  for (let i = 0; i < N / 10; i++) {
    const s = process.hrtime.bigint();
    await h.handle(req('create', { group: 'authentication.k8s.io', resource: 'tokenreviews' }, body));
    review.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const c = summarize(cold);
  const w = summarize(warm);
  const r = summarize(review);
  const rows: Row[] = [
    { figure: 'bound token, first sight p50', value: c.p50, unit: 'ms', note: 'RS256 signature check' },
    { figure: 'bound token, first sight p99', value: c.p99, unit: 'ms' },
    { figure: 'bound token, cached p50', value: w.p50, unit: 'ms' },
    { figure: 'bound token, cached p99', value: w.p99, unit: 'ms', target: '<= 0.1 ms', ok: w.p99 <= 0.1 },
    { figure: 'TokenReview via handler p99', value: r.p99, unit: 'ms', note: 'cached token, whole create path' },
  ];
  report('token-review', rows);
  api.cache.stop();
}

await main();
