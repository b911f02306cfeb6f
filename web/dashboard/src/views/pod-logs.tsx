// A container's log, followed live over a streamed GET (pods/log?follow=true), with the
// container and the previous instance to choose from.
import { useEffect, useRef, useState } from 'preact/hooks';
import { eachLine, type KObj, raw } from '../api.js';
import { ErrorBox } from '../components.js';

const MAX_LINES = 5000;

export function containerNames(pod: KObj): string[] {
  return [...((pod.spec?.initContainers ?? []) as any[]), ...((pod.spec?.containers ?? []) as any[]), ...((pod.spec?.ephemeralContainers ?? []) as any[])].map(
    (c) => c.name,
  );
}

export function PodLogs({ pod }: { pod: KObj }) {
  const names = containerNames(pod);
  const [container, setContainer] = useState(pod.spec?.containers?.[0]?.name ?? names[0] ?? '');
  const [follow, setFollow] = useState(true);
  const [previous, setPrevious] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [ended, setEnded] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  const { name, namespace } = pod.metadata;

  useEffect(() => {
    const abort = new AbortController();
    let buf: string[] = [];
    let pending = false;
    setLines([]);
    setError(undefined);
    setEnded(false);
    const flush = () => {
      pending = false;
      setLines((old) => [...old, ...buf].slice(-MAX_LINES));
      buf = [];
    };
    (async () => {
      const res = await raw(`/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name)}/log`, {
        query: { container, follow: follow && !previous ? 'true' : undefined, previous: previous ? 'true' : undefined, tailLines: '1000' },
        signal: abort.signal,
      });
      await eachLine(res, (l) => {
        buf.push(l);
        if (!pending) {
          pending = true;
          requestAnimationFrame(flush);
        }
      });
      if (!abort.signal.aborted) setEnded(true);
    })().catch((err) => {
      if (!abort.signal.aborted) setError(err);
    });
    return () => abort.abort();
  }, [namespace, name, container, follow, previous]);

  useEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  return (
    <div class="logs">
      <div class="toolbar">
        <select aria-label="Container" value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious((e.target as HTMLInputElement).checked)} /> Previous
        </label>
        {ended ? <span class="muted">(stream ended)</span> : null}
      </div>
      <ErrorBox error={error} />
      <pre class="log-lines" ref={box} role="log" aria-label="Log">
        {lines.join('\n')}
      </pre>
    </div>
  );
}
