// bench/openapi: the OpenAPI documents kubectl fetches (explain, apply, --validate=strict)
// over HTTPS with keep-alive, and the cost of field validation per write. Bounded loops.
import { builtinRegistry } from '../src/api/builtin.js';
import { checkFields, decodeWithDuplicates } from '../src/apiserver/rest/field-validation.js';
import { rawClient } from '../test/helpers/raw.js';
import { startServer } from '../test/helpers/server.js';
import { LoadClient } from './lib/http.js';
import { report, summarize, type Row } from './lib/report.js';

const GETS = 300;

async function timedGets(client: LoadClient, path: string, n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await client.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
    lat.push(r.ms);
  }
  return lat;
}

function fieldValidationMicros(): Row[] {
  const def = builtinRegistry().lookup('apps', 'v1', 'deployments')!;
  const text = JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: Array.from({ length: 4 }, (_, i) => ({
            name: `c${i}`,
            image: 'registry.local/app:1',
            ports: [{ containerPort: 8080 + i }],
            env: [{ name: 'A', value: 'b' }],
            resources: { requests: { cpu: '100m' } },
            readinessProbe: { httpGet: { path: '/', port: 8080 } },
          })),
        },
      },
    },
  });
  const raw = Buffer.from(text);
  const N = 20_000;
  for (let i = 0; i < 2000; i++) checkFields(def, decodeWithDuplicates('application/json', raw, () => JSON.parse(text)) as never, 'Strict', 'create');
  let t = performance.now();
  for (let i = 0; i < N; i++) JSON.parse(text);
  const parseOnly = (performance.now() - t) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const body = decodeWithDuplicates('application/json', raw, () => JSON.parse(text)) as never;
    checkFields(def, body, 'Strict', 'create', { rawBody: body });
  }
  const full = (performance.now() - t) / N;
  return [
    {
      figure: 'field_validation_deployment_4_containers',
      value: (full - parseOnly) * 1000,
      unit: 'us',
      note: 'duplicate scan + schema walk, beyond JSON.parse',
    },
  ];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const s = await startServer();
  const client = LoadClient.fromKubeconfig(s.kubeconfig, 4);
  try {
    const root = await client.request('GET', '/openapi/v3');
    rows.push({ figure: 'v3_root_first_request', value: root.ms, unit: 'ms', note: 'builds and hashes every group-version document' });
    const url = JSON.parse(root.body).paths['apis/apps/v1'].serverRelativeURL as string;
    const first = await client.request('GET', url);
    rows.push({ figure: 'v3_apps_v1_size', value: first.body.length / 1024, unit: 'KiB' });
    const apps = summarize(await timedGets(client, url, GETS));
    rows.push({ figure: 'v3_apps_v1_get_p50', value: apps.p50, unit: 'ms' });
    rows.push({
      figure: 'v3_apps_v1_get_p99',
      value: apps.p99,
      unit: 'ms',
      target: '<= 20',
      ok: apps.p99 <= 20,
      note: `${GETS} sequential GETs by hash, cached`,
    });
    // kubectl (Go's HTTP client) asks for gzip; the compressed document is cached too.
    const raw = rawClient(s.kubeconfig);
    const gz: number[] = [];
    try {
      for (let i = 0; i < GETS; i++) {
        const t = performance.now();
        const r = await raw.request('GET', url, undefined, { 'Accept-Encoding': 'gzip' });
        if (r.status !== 200 || r.headers['content-encoding'] !== 'gzip') throw new Error(`gzip GET: ${r.status}`);
        gz.push(performance.now() - t);
      }
    } finally {
      raw.close();
    }
    const gzs = summarize(gz);
    rows.push({ figure: 'v3_apps_v1_gzip_get_p50', value: gzs.p50, unit: 'ms' });
    rows.push({
      figure: 'v3_apps_v1_gzip_get_p99',
      value: gzs.p99,
      unit: 'ms',
      target: '<= 20',
      ok: gzs.p99 <= 20,
      note: 'as kubectl asks (Accept-Encoding: gzip)',
    });
    const core = await client.request('GET', JSON.parse(root.body).paths['api/v1'].serverRelativeURL);
    rows.push({ figure: 'v3_core_v1_size', value: core.body.length / 1024, unit: 'KiB' });
    const coreLat = summarize(await timedGets(client, JSON.parse(root.body).paths['api/v1'].serverRelativeURL, 100));
    rows.push({ figure: 'v3_core_v1_get_p99', value: coreLat.p99, unit: 'ms' });
    const v2first = await client.request('GET', '/openapi/v2');
    rows.push({ figure: 'v2_first_request', value: v2first.ms, unit: 'ms', note: `${(v2first.body.length / 1024).toFixed(0)} KiB` });
    rows.push({ figure: 'v2_get_p99', value: summarize(await timedGets(client, '/openapi/v2', 50)).p99, unit: 'ms' });
  } finally {
    client.close();
    await s.cleanup();
  }
  rows.push(...fieldValidationMicros());
  report('openapi', rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
