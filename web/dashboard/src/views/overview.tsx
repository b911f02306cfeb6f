// The cluster at a glance: nodes (capacity, usage, conditions), pods by phase, recent warnings.
import { ErrorBox, Sparkline } from '../components.js';
import { fmtBytes, fmtCpu, parseBytes, parseCpu, useMetrics } from '../metrics.js';
import { age, nodeReady, podStatus } from '../resources.js';
import { objHref } from '../router.js';
import { useCollection } from '../watch.js';

export function Overview({ ns }: { ns: string }) {
  const nodes = useCollection('/api/v1/nodes');
  const pods = useCollection(ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/pods` : '/api/v1/pods');
  const events = useCollection(ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events');
  const metrics = useMetrics('nodes');

  const phases = new Map<string, number>();
  for (const p of pods.items) phases.set(p.status?.phase ?? 'Pending', (phases.get(p.status?.phase ?? 'Pending') ?? 0) + 1);
  const notRunning = pods.items.filter((p) => !['Running', 'Succeeded'].includes(podStatus(p))).length;
  const warnings = events.items
    .filter((e) => e.type === 'Warning')
    .sort(
      (a, b) =>
        Date.parse(b.lastTimestamp ?? b.eventTime ?? b.metadata.creationTimestamp ?? '') -
        Date.parse(a.lastTimestamp ?? a.eventTime ?? a.metadata.creationTimestamp ?? ''),
    )
    .slice(0, 20);
  const sortedNodes = [...nodes.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  return (
    <section class="overview">
      <h2>Overview</h2>
      <div class="cards">
        {['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'].map((ph) => (
          <div class="card" key={ph} data-phase={ph}>
            <div class="num">{phases.get(ph) ?? 0}</div>
            <div class="muted">{ph}</div>
          </div>
        ))}
        <div class="card">
          <div class="num">{notRunning}</div>
          <div class="muted">not ready</div>
        </div>
      </div>

      <h3>Nodes</h3>
      <ErrorBox error={nodes.error} />
      {metrics.available === false ? <p class="muted">Metrics unavailable ({metrics.reason}).</p> : null}
      <section class="nodes" aria-label="Nodes">
        {sortedNodes.map((n) => {
          const u = metrics.usage.get(`nodes//${n.metadata.name}`);
          const capCpu = parseCpu(n.status?.capacity?.cpu);
          const capMem = parseBytes(n.status?.capacity?.memory);
          const bad = ((n.status?.conditions ?? []) as any[]).filter((c) => (c.type === 'Ready' ? c.status !== 'True' : c.status === 'True'));
          return (
            <article class="node" key={n.metadata.name} data-node={n.metadata.name}>
              <h4>
                <a href={objHref('nodes', undefined, n.metadata.name)}>{n.metadata.name}</a>{' '}
                <span class={nodeReady(n).startsWith('Ready') ? 'ok' : 'bad'}>{nodeReady(n)}</span>
              </h4>
              <div class="muted">
                capacity {fmtCpu(capCpu)} CPU, {fmtBytes(capMem)} memory, {n.status?.capacity?.pods ?? '?'} pods
              </div>
              {bad.length ? <div class="bad">{bad.map((c) => `${c.type}: ${c.reason ?? c.status}`).join('; ')}</div> : null}
              {u ? (
                <div class="plots">
                  <Sparkline values={u.cpu} label="CPU" format={(v) => `${fmtCpu(v)}${capCpu ? ` (${Math.round((v / capCpu) * 100)}%)` : ''}`} />
                  <Sparkline values={u.memory} label="Memory" format={(v) => `${fmtBytes(v)}${capMem ? ` (${Math.round((v / capMem) * 100)}%)` : ''}`} />
                </div>
              ) : null}
            </article>
          );
        })}
        {!nodes.loading && sortedNodes.length === 0 && !nodes.error ? <p class="muted">No nodes.</p> : null}
      </section>

      <h3>Recent warnings</h3>
      <ErrorBox error={events.error} />
      {warnings.length === 0 ? <p class="muted">No Warning events.</p> : null}
      <ul class="events">
        {warnings.map((e) => (
          <li key={e.metadata.uid ?? e.metadata.name}>
            <span class="muted">{age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)}</span> <b>{e.reason}</b>{' '}
            <span>
              {e.involvedObject?.kind}/{e.involvedObject?.name}
            </span>
            : {e.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
