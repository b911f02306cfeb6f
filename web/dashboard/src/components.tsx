// Small shared pieces: an error message box, a virtualised table, a sparkline, a confirm dialog.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api.js';

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {describeError(error)}
    </div>
  );
}

export interface TableColumn<T> {
  title: string;
  cell: (row: T) => ComponentChildren;
  wide?: boolean;
}

const ROW_HEIGHT = 34;

/** Renders only the rows in view (plus a margin), so thousands of rows stay quick to scroll and update. */
export function VirtualTable<T>({ rows, columns, rowKey, empty }: { rows: T[]; columns: TableColumn<T>[]; rowKey: (r: T) => string; empty?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 600));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - 10);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + 10);
  const template = columns.map((_c, i) => (i === 0 ? 'minmax(10em, 2fr)' : 'minmax(5em, 1fr)')).join(' ');
  return (
    <div class="vtable" role="table" aria-rowcount={rows.length}>
      <div class="vrow vhead" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div role="columnheader" class={c.wide ? 'wide' : ''} key={c.title}>
            {c.title}
          </div>
        ))}
      </div>
      <div class="vbody" ref={box} onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}>
        {rows.length === 0 ? <div class="muted pad">{empty ?? 'Nothing here.'}</div> : null}
        <div style={{ height: `${rows.length * ROW_HEIGHT}px`, position: 'relative' }}>
          {rows.slice(first, last).map((r, i) => (
            <div class="vrow" role="row" key={rowKey(r)} style={{ top: `${(first + i) * ROW_HEIGHT}px`, gridTemplateColumns: template }}>
              {columns.map((c) => (
                <div role="cell" class={c.wide ? 'wide' : ''} key={c.title}>
                  {c.cell(r)}
                </div>
              ))}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** A line plot of the last values (newest right); `format` labels the latest. */
export function Sparkline({ values, label, format }: { values: number[]; label: string; format: (v: number) => string }) {
  const w = 240;
  const h = 48;
  if (values.length === 0) return null;
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(' ');
  return (
    <figure class="spark">
      <figcaption>
        {label}: <b>{format(values[values.length - 1]!)}</b>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={`${label} history`}>
        <polyline points={pts} fill="none" stroke="currentColor" stroke-width="2" />
      </svg>
    </figure>
  );
}

/** A button that asks before it acts. */
export function ConfirmButton({ label, question, onConfirm, danger }: { label: string; question: string; onConfirm: () => void; danger?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class={danger ? 'danger' : ''} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="dialog" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
