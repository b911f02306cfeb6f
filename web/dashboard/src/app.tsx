// The page's frame: login, the side menu, the namespace switch and the current view.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, describeError, session } from './api.js';
import { KINDS, kindById } from './resources.js';
import { listHref, useRoute } from './router.js';
import { ListView } from './views/list.js';
import { ObjectView } from './views/object.js';
import { Overview } from './views/overview.js';
import { closeCollections, useCollection } from './watch.js';

function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tryLogin = async (t: string | null) => {
    setBusy(true);
    setError(undefined);
    session.set(t);
    try {
      // Any authenticated user may read discovery; a 401 means the credentials were not accepted.
      await call('/api');
      onDone();
    } catch (err) {
      session.clear();
      setError(
        err instanceof ApiError && err.code === 401
          ? t
            ? 'The token was not accepted (401 Unauthorized).'
            : 'No client certificate was accepted (401 Unauthorized).'
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Skiff</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) void tryLogin(token.trim());
        }}
      >
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          value={token}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
          autocomplete="off"
          spellcheck={false}
        />
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
        <button type="button" disabled={busy} onClick={() => void tryLogin(null)}>
          Use my client certificate
        </button>
        {error ? (
          <div class="error" role="alert">
            {error}
          </div>
        ) : null}
        <p class="muted">
          A token from <code>kubectl create token &lt;service-account&gt;</code>. It is kept in this tab only (sessionStorage).
        </p>
      </form>
    </main>
  );
}

function NamespaceSelect({ ns, setNs }: { ns: string; setNs: (ns: string) => void }) {
  const list = useCollection('/api/v1/namespaces');
  const names = list.items.map((n) => n.metadata.name).sort();
  return (
    <select aria-label="Namespace" value={ns} onChange={(e) => setNs((e.target as HTMLSelectElement).value)}>
      <option value="">All namespaces</option>
      {names.map((n) => (
        <option value={n} key={n}>
          {n}
        </option>
      ))}
      {ns && !names.includes(ns) ? <option value={ns}>{ns}</option> : null}
    </select>
  );
}

export function App() {
  const [loggedIn, setLoggedIn] = useState(session.loggedIn());
  const [ns, setNsState] = useState(sessionStorage.getItem('skiff.dashboard.ns') ?? '');
  const [menu, setMenu] = useState(false);
  const route = useRoute();
  const setNs = (v: string) => {
    sessionStorage.setItem('skiff.dashboard.ns', v);
    setNsState(v);
  };
  useEffect(() => setMenu(false), [route]);
  if (!loggedIn) return <Login onDone={() => setLoggedIn(true)} />;
  const sections = [...new Set(KINDS.map((k) => k.section))];
  const current = route.view === 'overview' ? '' : route.kind;
  return (
    <div class={`frame${menu ? ' menu-open' : ''}`}>
      <header>
        <button type="button" class="menu-toggle" aria-label="Menu" onClick={() => setMenu(!menu)}>
          ☰
        </button>
        <a class="brand" href="#/">
          Skiff
        </a>
        <NamespaceSelect ns={ns} setNs={setNs} />
        <button
          type="button"
          class="logout"
          onClick={() => {
            closeCollections();
            session.clear();
            setLoggedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <nav>
        <a href="#/" class={current === '' ? 'active' : ''}>
          Overview
        </a>
        {sections.map((s) => (
          <div key={s}>
            <h4>{s}</h4>
            {KINDS.filter((k) => k.section === s).map((k) => (
              <a href={listHref(k.id)} key={k.id} class={current === k.id ? 'active' : ''}>
                {k.title}
              </a>
            ))}
          </div>
        ))}
      </nav>
      <main>
        {route.view === 'overview' ? <Overview ns={ns} /> : null}
        {route.view === 'list' ? (
          kindById(route.kind) ? (
            <ListView kind={kindById(route.kind)!} ns={ns} />
          ) : (
            <div class="error">Unknown kind {route.kind}</div>
          )
        ) : null}
        {route.view === 'obj' ? (
          kindById(route.kind) ? (
            <ObjectView kind={kindById(route.kind)!} ns={route.ns} name={route.name} key={`${route.kind}/${route.ns}/${route.name}`} />
          ) : (
            <div class="error">Unknown kind {route.kind}</div>
          )
        ) : null}
      </main>
    </div>
  );
}
