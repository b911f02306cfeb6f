// 1,000 concurrent watchers: how long one change takes to reach all of them.
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import type { TestServer } from '../../test/helpers/server.js';
import type { LoadClient } from './http.js';
import { summarize, type Row } from './report.js';

const WATCHERS = 1000;
const CHANGES = 20;

export async function watchFanout(s: TestServer, client: LoadClient): Promise<Row[]> {
  const { options } = loadKubeconfig(s.kubeconfig);
  const url = new URL(options.server);
  const agent = new https.Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true, maxSockets: WATCHERS + 10 });
  await client.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fanout' } }));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const received = new Map<string, number>();
  const requests: ClientRequest[] = [];
  let open = 0;
  await Promise.all(
    Array.from(
      { length: WATCHERS },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = https.get(
            { host: url.hostname, port: url.port, path: '/api/v1/namespaces/fanout/configmaps?watch=1', agent, headers: { Accept: 'application/json' } },
            (res) => {
              open++;
              resolve();
              let buf = '';
              res.on('data', (d: Buffer) => {
                buf += d.toString('utf8');
                let nl: number;
                while ((nl = buf.indexOf('\n')) >= 0) {
                  const line = buf.slice(0, nl);
                  buf = buf.slice(nl + 1);
                  const now = performance.now();
                  const name = /"name":"(fan-\d+)"/.exec(line)?.[1];
                  const t = name && sentAt.get(name);
                  if (t) {
                    latencies.push(now - t);
                    received.set(name!, (received.get(name!) ?? 0) + 1);
                  }
                }
              });
            },
          );
          req.on('error', reject);
          requests.push(req);
        }),
    ),
  );
  for (let i = 0; i < CHANGES; i++) {
    const name = `fan-${i}`;
    sentAt.set(name, performance.now());
    const r = await client.request('POST', '/api/v1/namespaces/fanout/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }));
    if (r.status !== 201) throw new Error(`create failed ${r.status}`);
    const deadline = performance.now() + 5000;
    while ((received.get(name) ?? 0) < WATCHERS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const r of requests) r.destroy();
  agent.destroy();
  const delivered = latencies.length;
  const l = summarize(latencies);
  return [
    { figure: 'skiff_watch_fanout_p50', value: l.p50, unit: 'ms', note: `${open} watchers x ${CHANGES} changes` },
    {
      figure: 'skiff_watch_fanout_p99',
      value: l.p99,
      unit: 'ms',
      target: '<= 100',
      ok: l.p99 <= 100 && delivered === WATCHERS * CHANGES,
      note: `${delivered}/${WATCHERS * CHANGES} delivered`,
    },
  ];
}
