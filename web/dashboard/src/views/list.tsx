// One kind's live list: list + watch, filtered by name in the page and by label selector on
// the server; rows virtualised.
import { useMemo, useState } from 'preact/hooks';
import { ErrorBox, type TableColumn, VirtualTable } from '../components.js';
import type { KObj } from '../api.js';
import { collectionPath, type Kind } from '../resources.js';
import { objHref } from '../router.js';
import { useCollection } from '../watch.js';

export function ListView({ kind, ns }: { kind: Kind; ns: string }) {
  const [search, setSearch] = useState('');
  const [selectorInput, setSelectorInput] = useState('');
  const [selector, setSelector] = useState('');
  const coll = useCollection(collectionPath(kind, ns), { labelSelector: selector || undefined });
  const q = search.trim().toLowerCase();
  // Sorted once per change of the collection, not per keystroke; plain comparisons (names are ASCII).
  const sorted = useMemo(() => {
    const key = (o: KObj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    return coll.items
      .map((o) => [key(o), o] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map((e) => e[1]);
  }, [coll.items]);
  const rows = useMemo(() => (q ? sorted.filter((o) => o.metadata.name.toLowerCase().includes(q)) : sorted), [sorted, q]);
  const columns: TableColumn<KObj>[] = [
    { title: 'Name', cell: (o) => <a href={objHref(kind.id, o.metadata.namespace, o.metadata.name)}>{o.metadata.name}</a> },
    ...kind.columns.map((c) => ({ title: c.title, wide: c.wide, cell: (o: KObj) => c.value(o) })),
  ];
  return (
    <section class="list">
      <h2>
        {kind.title} <span class="muted count">{coll.loading ? '…' : rows.length}</span>
      </h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setSelector(selectorInput.trim());
        }}
      >
        <input
          type="search"
          placeholder="Search by name"
          aria-label="Search by name"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <input
          placeholder="Label selector, e.g. app=web"
          aria-label="Label selector"
          value={selectorInput}
          onInput={(e) => setSelectorInput((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={coll.error} />
      <VirtualTable
        rows={rows}
        columns={columns}
        rowKey={(o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`}
        empty={coll.loading ? 'Loading…' : `No ${kind.title}.`}
      />
    </section>
  );
}
