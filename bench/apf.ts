// bench/apf: five flows against one `skiff server` — four ordinary users each reading
// (get + a small list) and one abusive user flooding full-namespace lists — reporting each
// flow's p99 with API Priority and Fairness on, then off (--enable-priority-and-fairness=
// false, the max-inflight limits alone), in the same run. Every loop is bounded in count
// and in time. The machine is shared: read the figures with the load averages printed.
import { loadavg } from 'node:os';
import { identityClients, percentile, type TimedResponse } from '../test/helpers/identity-client.js';
import { startServer } from '../test/helpers/server.js';
import { report, type Row } from './lib/report.js';

const CONFIGMAPS = 10_000;
const ABUSER_CONCURRENCY = 48;
const USER_CONCURRENCY = 2;
const PHASE_MS = 15_000;
const MAX_REQUESTS_PER_FLOW = 20_000;
const USERS = ['alice', 'bob', 'carol', 'dave'];
// Walks every ConfigMap of the namespace (10 seats under APF) but returns none, so the
// benchmark's own client does not become the bottleneck.
const ABUSIVE_LIST = '/api/v1/namespaces/default/configmaps?labelSelector=abuse%3Dnone';

interface FlowResult {
  name: string;
  ok: number[];
  rejected: number;
  failed: number;
}

async function runMode(apf: boolean): Promise<{ flows: FlowResult[]; load: [number, number] }> {
  const server = await startServer({ args: ['--disable-scheduler', `--enable-priority-and-fairness=${apf}`], timeoutMs: 120_000 });
  const clients = await identityClients(server.dataDir, server.port);
  try {
    const admin = await clients.as('admin', [], true);
    for (let i = 0; i < CONFIGMAPS; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          admin('POST', '/api/v1/namespaces/default/configmaps', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `cm-${i + j}` },
            data: { k: 'v'.repeat(100) },
          }),
        ),
      );
    // Certificates issued and connections opened before the clock starts.
    const callers = new Map<string, Awaited<ReturnType<typeof clients.as>>>();
    for (const name of ['abuser', ...USERS]) {
      const call = await clients.as(name);
      await Promise.all(Array.from({ length: name === 'abuser' ? ABUSER_CONCURRENCY : USER_CONCURRENCY }, () => call('GET', '/version')));
      callers.set(name, call);
    }
    const loadBefore = loadavg()[0]!;
    const end = Date.now() + PHASE_MS;
    const flows: FlowResult[] = [];
    const loops: Promise<void>[] = [];
    const flow = (name: string, concurrency: number, path: (i: number) => string) => {
      const call = callers.get(name)!;
      const r: FlowResult = { name, ok: [], rejected: 0, failed: 0 };
      flows.push(r);
      let sent = 0;
      for (let c = 0; c < concurrency; c++)
        loops.push(
          (async () => {
            while (Date.now() < end && sent < MAX_REQUESTS_PER_FLOW) {
              const i = sent++;
              let res: TimedResponse;
              try {
                res = await call('GET', path(i));
              } catch {
                r.failed++;
                continue;
              }
              if (res.status === 200) r.ok.push(res.ms);
              else if (res.status === 429) r.rejected++;
              else r.failed++;
            }
          })(),
        );
    };
    flow('abuser', ABUSER_CONCURRENCY, () => ABUSIVE_LIST);
    for (const u of USERS)
      flow(u, USER_CONCURRENCY, (i) =>
        i % 10 === 0 ? '/api/v1/namespaces/default/configmaps?limit=20' : `/api/v1/namespaces/default/configmaps/cm-${i % CONFIGMAPS}`,
      );
    await Promise.all(loops);
    return { flows, load: [loadBefore, loadavg()[0]!] };
  } finally {
    clients.close();
    await server.cleanup();
  }
}

const rows: Row[] = [];
const extra: Record<string, unknown> = {};
for (const apf of [true, false]) {
  const mode = apf ? 'apf_on' : 'apf_off';
  const { flows, load } = await runMode(apf);
  extra[`${mode}_load_average`] = load;
  for (const f of flows) {
    const note = `${f.ok.length} served, ${f.rejected} rejected (429), ${f.failed} failed; load ${load[0].toFixed(1)}→${load[1].toFixed(1)}`;
    rows.push({ figure: `${mode}_${f.name}_p99`, value: percentile(f.ok, 0.99), unit: 'ms', note });
    rows.push({ figure: `${mode}_${f.name}_p50`, value: percentile(f.ok, 0.5), unit: 'ms' });
  }
  const users = flows.filter((f) => f.name !== 'abuser');
  rows.push({ figure: `${mode}_ordinary_users_worst_p99`, value: Math.max(...users.map((f) => percentile(f.ok, 0.99))), unit: 'ms' });
}
report('apf', rows, extra);
