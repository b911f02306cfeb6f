// Every call the page makes: to the API on this origin, as the user whose bearer token is in
// sessionStorage (or whose client certificate the browser presents). Errors come back as
// ApiError carrying the Status the server sent, for the page to show.

export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    managedFields?: unknown;
  };
  spec?: any;
  status?: any;
  [k: string]: any;
}

export interface KList {
  metadata: { resourceVersion?: string };
  items: KObj[];
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'skiff.dashboard.token';
const CERT_KEY = 'skiff.dashboard.cert';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  loggedIn: (): boolean => !!sessionStorage.getItem(TOKEN_KEY) || sessionStorage.getItem(CERT_KEY) === '1',
  set(token: string | null): void {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.setItem(CERT_KEY, '1');
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(CERT_KEY);
  },
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  const t = session.token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const s = JSON.parse(text);
    if (s && s.kind === 'Status') return new ApiError(res.status, s.reason ?? '', s.message ?? `${res.status} ${res.statusText}`);
  } catch {
    // not a Status: fall through to the text
  }
  return new ApiError(res.status, res.statusText, text.trim() || `${res.status} ${res.statusText}`);
}

export interface CallOptions {
  method?: string;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  query?: Record<string, string | undefined>;
}

export function withQuery(path: string, query?: Record<string, string | undefined>): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

export async function raw(path: string, opts: CallOptions = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method: opts.method ?? 'GET',
      headers: headers(opts.contentType ? { 'Content-Type': opts.contentType } : {}),
      body: opts.body,
      signal: opts.signal,
      credentials: 'same-origin',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NetworkError', `the API server could not be reached: ${(err as Error).message}`);
  }
  if (!res.ok) throw await failure(res);
  return res;
}

export async function call<T = KObj>(path: string, opts: CallOptions = {}): Promise<T> {
  const res = await raw(path, opts);
  return (await res.json()) as T;
}

export const mergePatch = (path: string, patch: unknown) =>
  call(path, { method: 'PATCH', body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });

/** Reads a streamed body line by line (watch events, followed logs) until it ends or is aborted. */
export async function eachLine(res: Response, onLine: (line: string) => void): Promise<void> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) onLine(buf);
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const what =
      err.code === 403
        ? 'Forbidden'
        : err.code === 404
          ? 'Not found'
          : err.code === 409
            ? 'Conflict'
            : err.code === 401
              ? 'Unauthorized'
              : `Error ${err.code || ''}`;
    return `${what}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export const keyOf = (o: KObj) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);
