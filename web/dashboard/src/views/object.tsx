// One object, kept live by a watch on its name: summary, actions, YAML, events, and for
// pods the logs and a terminal.
import { useState } from 'preact/hooks';
import { call, describeError, type KObj, mergePatch } from '../api.js';
import { ConfirmButton, ErrorBox, Sparkline } from '../components.js';
import { fmtBytes, fmtCpu, useMetrics } from '../metrics.js';
import { age, collectionPath, type Kind, kindById, objectPath, podStatus } from '../resources.js';
import { listHref, objHref } from '../router.js';
import { useCollection } from '../watch.js';
import { drainNode } from './drain.js';
import { PodLogs } from './pod-logs.js';
import { lazy } from '../lazy.js';

const Terminal = lazy(() => import('./terminal.js').then((m) => m.Terminal));
const YamlEditor = lazy(() => import('./yaml-editor.js').then((m) => m.YamlEditor));

type Tab = 'summary' | 'yaml' | 'events' | 'logs' | 'exec';

export function selectorString(sel: any): string {
  if (!sel) return '';
  const parts = Object.entries((sel.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as any[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function Actions({ kind, obj, setMessage }: { kind: Kind; obj: KObj; setMessage: (m: { ok: boolean; text: string }) => void }) {
  const [replicas, setReplicas] = useState(String(obj.spec?.replicas ?? 1));
  const path = objectPath(kind, obj.metadata.namespace, obj.metadata.name);
  const act = (what: string, fn: () => Promise<unknown>) => async () => {
    try {
      await fn();
      setMessage({ ok: true, text: what });
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    }
  };
  return (
    <div class="actions">
      {kind.scalable ? (
        <form
          class="scale"
          onSubmit={(e) => {
            e.preventDefault();
            void act(`Scaled to ${replicas}`, () => mergePatch(`${path}/scale`, { spec: { replicas: Number(replicas) } }))();
          }}
        >
          <input type="number" aria-label="Replicas" value={replicas} onInput={(e) => setReplicas((e.target as HTMLInputElement).value)} />
          <button type="submit">Scale</button>
        </form>
      ) : null}
      {kind.restartable ? (
        <ConfirmButton
          label="Restart"
          question={`Restart every pod of ${obj.metadata.name}?`}
          onConfirm={act('Restart started', () =>
            mergePatch(path, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } }),
          )}
        />
      ) : null}
      {kind.id === 'nodes' ? (
        <>
          <button
            type="button"
            onClick={act(obj.spec?.unschedulable ? 'Uncordoned' : 'Cordoned', () =>
              mergePatch(path, { spec: { unschedulable: obj.spec?.unschedulable ? null : true } }),
            )}
          >
            {obj.spec?.unschedulable ? 'Uncordon' : 'Cordon'}
          </button>
          <ConfirmButton
            label="Drain"
            question={`Cordon ${obj.metadata.name} and evict its pods?`}
            onConfirm={act('Drained', async () => {
              const failed = await drainNode(obj.metadata.name);
              if (failed.length) throw new Error(`could not evict: ${failed.join('; ')}`);
            })}
          />
        </>
      ) : null}
      <ConfirmButton
        danger
        label="Delete"
        question={`Delete ${kind.kind} ${obj.metadata.name}?`}
        onConfirm={act('Deleted', async () => {
          await call(path, { method: 'DELETE' });
          location.hash = listHref(kind.id);
        })}
      />
    </div>
  );
}

function Summary({ kind, obj }: { kind: Kind; obj: KObj }) {
  const [shown, setShown] = useState<Set<string>>(new Set());
  const m = obj.metadata;
  const selector =
    kind.id === 'pods' || kind.id === 'nodes'
      ? ''
      : kind.id === 'services'
        ? Object.entries((obj.spec?.selector ?? {}) as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : selectorString(obj.spec?.selector);
  return (
    <div class="summary">
      <dl>
        {m.namespace ? (
          <>
            <dt>Namespace</dt>
            <dd>{m.namespace}</dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>
          {m.creationTimestamp} ({age(m.creationTimestamp)})
        </dd>
        {kind.columns
          .filter((c) => c.title !== 'Age' && c.title !== 'Namespace')
          .map((c) => (
            <>
              <dt>{c.title}</dt>
              <dd>{c.value(obj)}</dd>
            </>
          ))}
        <dt>Labels</dt>
        <dd class="tags">
          {Object.entries(m.labels ?? {}).map(([k, v]) => (
            <code key={k}>
              {k}={v}
            </code>
          ))}
        </dd>
        <dt>Annotations</dt>
        <dd class="annotations">
          {Object.entries(m.annotations ?? {}).map(([k, v]) => (
            <div key={k}>
              <code>{k}</code>: <span class="annotation-value">{v}</span>
            </div>
          ))}
        </dd>
      </dl>
      {kind.id === 'secrets' ? (
        <div class="secret-data">
          <h4>Data</h4>
          {Object.keys(obj.data ?? {}).map((k) => (
            <div key={k} class="secret-row">
              <code>{k}</code>{' '}
              {shown.has(k) ? (
                <pre>{decodeBase64(obj.data[k])}</pre>
              ) : (
                <button type="button" onClick={() => setShown(new Set([...shown, k]))} aria-label={`Show ${k}`}>
                  Show value
                </button>
              )}
            </div>
          ))}
        </div>
      ) : null}
      {kind.id === 'configmaps' ? (
        <div class="cm-data">
          <h4>Data</h4>
          {Object.entries((obj.data ?? {}) as Record<string, string>).map(([k, v]) => (
            <div key={k}>
              <code>{k}</code>
              <pre>{v}</pre>
            </div>
          ))}
        </div>
      ) : null}
      {((obj.status?.conditions ?? []) as any[]).length ? (
        <div>
          <h4>Conditions</h4>
          <ul>
            {(obj.status.conditions as any[]).map((c) => (
              <li key={c.type}>
                <b>{c.type}</b> {c.status} {c.reason ? `(${c.reason})` : ''} {c.message ?? ''}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {selector && obj.metadata.namespace ? <RelatedPods ns={obj.metadata.namespace} selector={selector} /> : null}
    </div>
  );
}

function decodeBase64(v: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
  } catch {
    return '(not base64)';
  }
}

function RelatedPods({ ns, selector }: { ns: string; selector: string }) {
  const pods = useCollection(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: selector });
  const list = [...pods.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return (
    <div class="related">
      <h4>
        Pods <span class="muted">({selector})</span> <span class="pod-count">{list.length}</span>
      </h4>
      <ErrorBox error={pods.error} />
      <ul class="pods">
        {list.map((p) => (
          <li key={p.metadata.name} data-pod={p.metadata.name}>
            <a href={objHref('pods', ns, p.metadata.name)}>{p.metadata.name}</a> <span>{podStatus(p)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Events({ obj }: { obj: KObj }) {
  const ns = obj.metadata.namespace;
  const ev = useCollection(ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events', {
    fieldSelector: `involvedObject.name=${obj.metadata.name}`,
  });
  const list = [...ev.items].sort(
    (a, b) => Date.parse(b.lastTimestamp ?? b.metadata.creationTimestamp ?? '') - Date.parse(a.lastTimestamp ?? a.metadata.creationTimestamp ?? ''),
  );
  return (
    <div>
      <ErrorBox error={ev.error} />
      {list.length === 0 ? <p class="muted">No events.</p> : null}
      <ul class="events">
        {list.map((e) => (
          <li key={e.metadata.name} class={e.type === 'Warning' ? 'bad' : ''}>
            <span class="muted">{age(e.lastTimestamp ?? e.metadata.creationTimestamp)}</span> <b>{e.reason}</b> {e.message}{' '}
            {e.count > 1 ? <span class="muted">×{e.count}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function PodMetrics({ pod }: { pod: KObj }) {
  const m = useMetrics('pods', pod.metadata.namespace);
  const u = m.usage.get(`pods/${pod.metadata.namespace}/${pod.metadata.name}`);
  if (m.available === false) return <p class="muted">Metrics unavailable.</p>;
  if (!u) return null;
  return (
    <div class="plots">
      <Sparkline values={u.cpu} label="CPU" format={fmtCpu} />
      <Sparkline values={u.memory} label="Memory" format={fmtBytes} />
    </div>
  );
}

export function ObjectView({ kind, ns, name }: { kind: Kind; ns?: string; name: string }) {
  const coll = useCollection(collectionPath(kind, ns), { fieldSelector: `metadata.name=${name}` });
  const [tab, setTab] = useState<Tab>('summary');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const obj = coll.items[0];
  const tabs: Tab[] =
    kind.id === 'pods' ? ['summary', 'yaml', 'events', 'logs', 'exec'] : kind.id === 'events' ? ['summary', 'yaml'] : ['summary', 'yaml', 'events'];
  const owner = obj?.metadata.ownerReferences?.find((o) => o.controller);
  const ownerKind = owner && kindById(`${owner.kind.toLowerCase()}s`);
  return (
    <section class="object">
      <p class="crumbs">
        <a href={listHref(kind.id)}>{kind.title}</a>
        {ns ? ` / ${ns}` : ''}
        {owner ? (
          <>
            {' '}
            · owned by{' '}
            {ownerKind ? (
              <a href={objHref(ownerKind.id, ns, owner.name)}>
                {owner.kind}/{owner.name}
              </a>
            ) : (
              `${owner.kind}/${owner.name}`
            )}
          </>
        ) : null}
      </p>
      <h2 class="object-name">{name}</h2>
      <ErrorBox error={coll.error} />
      {!coll.loading && !obj && !coll.error ? (
        <div class="error" role="alert">
          Not found: {kind.kind} {ns ? `${ns}/` : ''}
          {name}
        </div>
      ) : null}
      {message ? (
        <div class={message.ok ? 'notice' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </div>
      ) : null}
      {obj ? (
        <>
          <Actions kind={kind} obj={obj} setMessage={setMessage} />
          {kind.id === 'pods' ? <PodMetrics pod={obj} /> : null}
          <div class="tabs" role="tablist">
            {tabs.map((t) => (
              <button type="button" role="tab" aria-selected={t === tab} class={t === tab ? 'active' : ''} onClick={() => setTab(t)} key={t}>
                {t === 'yaml' ? 'YAML' : t === 'exec' ? 'Terminal' : t[0]!.toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          {tab === 'summary' ? <Summary kind={kind} obj={obj} /> : null}
          {tab === 'yaml' ? <YamlEditor kind={kind} obj={obj} /> : null}
          {tab === 'events' ? <Events obj={obj} /> : null}
          {tab === 'logs' ? <PodLogs pod={obj} /> : null}
          {tab === 'exec' ? <Terminal pod={obj} /> : null}
        </>
      ) : null}
    </section>
  );
}
