// Hash routes, so the server serves one page: #/ (overview), #/list/<kind>,
// #/obj/<kind>/<namespace or ->/<name>.
import { useEffect, useState } from 'preact/hooks';

export type Route = { view: 'overview' } | { view: 'list'; kind: string } | { view: 'obj'; kind: string; ns?: string; name: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'list' && parts[1]) return { view: 'list', kind: parts[1] };
  if (parts[0] === 'obj' && parts[1] && parts[3]) return { view: 'obj', kind: parts[1], ns: parts[2] === '-' ? undefined : parts[2], name: parts[3] };
  return { view: 'overview' };
}

export const listHref = (kind: string) => `#/list/${kind}`;
export const objHref = (kind: string, ns: string | undefined, name: string) => `#/obj/${kind}/${ns ? encodeURIComponent(ns) : '-'}/${encodeURIComponent(name)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
