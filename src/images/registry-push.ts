// Pushes an image Skiff built (src/images) to a registry over the Docker Registry HTTP
// API v2 / OCI distribution spec: each blob that the registry does not already hold is
// uploaded (POST to open an upload session, PUT with the digest to finish it), then the
// manifest is PUT under the tag. Basic auth only (htpasswd registries); registries that
// answer with a Bearer challenge are named in the error rather than half-supported.
import { buildImageBlobs, OCI_MANIFEST, type ImageBlob, type ImageSpec } from './oci.js';

export interface PushTarget {
  /** host[:port] of the registry, e.g. 127.0.0.1:5000 */
  registry: string;
  /** Repository inside the registry, e.g. skiff/busybox */
  repository: string;
  tag: string;
  /** Plain HTTP instead of HTTPS (local registries). */
  plainHttp?: boolean;
  username?: string;
  password?: string;
  /** Per-request timeout; default 60 s. */
  timeoutMs?: number;
}

export interface PushResult {
  /** The manifest's digest, as a pull by digest names it. */
  digest: string;
  /** Blobs uploaded; the rest were already in the registry. */
  uploaded: number;
  skipped: number;
}

/** `host:port/repo/path:tag` split into the parts a push needs. */
export function parseImageReference(ref: string): { registry: string; repository: string; tag: string } {
  const slash = ref.indexOf('/');
  if (slash <= 0) throw new Error(`image reference ${JSON.stringify(ref)} names no registry (want host[:port]/repository[:tag])`);
  const registry = ref.slice(0, slash);
  let rest = ref.slice(slash + 1);
  if (rest.includes('@')) throw new Error(`image reference ${JSON.stringify(ref)}: pushing by digest is not supported; give a tag`);
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw new Error(`image reference ${JSON.stringify(ref)}: ${JSON.stringify(rest)} is not a valid repository name`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`image reference ${JSON.stringify(ref)}: ${JSON.stringify(tag)} is not a valid tag`);
  return { registry, repository: rest, tag };
}

class RegistryClient {
  private readonly base: string;
  private readonly auth?: string;

  constructor(private readonly t: PushTarget) {
    this.base = `${t.plainHttp ? 'http' : 'https'}://${t.registry}`;
    if (t.username !== undefined) this.auth = `Basic ${Buffer.from(`${t.username}:${t.password ?? ''}`).toString('base64')}`;
  }

  async request(method: string, pathOrUrl: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.base);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        body: body ? new Blob([new Uint8Array(body)]) : undefined,
        headers: { ...(this.auth ? { authorization: this.auth } : {}), ...headers },
        redirect: 'follow',
        signal: AbortSignal.timeout(this.t.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new Error(`registry ${this.t.registry}: ${method} ${url.pathname}: ${(err as Error).message}`);
    }
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      if (/^bearer/i.test(challenge)) throw new Error(`registry ${this.t.registry} wants token (Bearer) authentication, which this pusher does not speak`);
      throw new Error(
        `registry ${this.t.registry}: ${method} ${url.pathname}: 401 Unauthorized${this.auth ? ' (the credentials were refused)' : ' (no credentials given)'}`,
      );
    }
    return res;
  }

  async expect(res: Response, ok: number[], what: string): Promise<Response> {
    if (ok.includes(res.status)) return res;
    const text = (await res.text().catch(() => '')).slice(0, 500);
    throw new Error(`registry ${this.t.registry}: ${what}: HTTP ${res.status}${text ? `: ${text.trim()}` : ''}`);
  }
}

async function pushBlob(c: RegistryClient, repo: string, b: ImageBlob): Promise<boolean> {
  const head = await c.request('HEAD', `/v2/${repo}/blobs/${b.digest}`);
  await head.body?.cancel();
  if (head.status === 200) return false;
  const start = await c.expect(await c.request('POST', `/v2/${repo}/blobs/uploads/`), [202], `starting the upload of ${b.digest}`);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new Error(`registry answered the upload of ${b.digest} without a Location`);
  const url = new URL(location, 'http://placeholder');
  url.searchParams.set('digest', b.digest);
  const target = /^https?:\/\//.test(location) ? url.toString() : `${url.pathname}${url.search}`;
  const done = await c.expect(
    await c.request('PUT', target, b.data, { 'content-type': 'application/octet-stream', 'content-length': String(b.size) }),
    [201],
    `uploading ${b.digest} (${b.size} bytes)`,
  );
  await done.body?.cancel();
  return true;
}

/** Uploads the image's blobs and its manifest. */
export async function pushImage(spec: ImageSpec, target: PushTarget): Promise<PushResult> {
  const c = new RegistryClient(target);
  const check = await c.expect(await c.request('GET', '/v2/'), [200], 'API version check');
  await check.body?.cancel();
  const { config, manifest, layers } = buildImageBlobs(spec);
  let uploaded = 0;
  let skipped = 0;
  for (const b of [...layers, config]) {
    if (await pushBlob(c, target.repository, b)) uploaded++;
    else skipped++;
  }
  const put = await c.expect(
    await c.request('PUT', `/v2/${target.repository}/manifests/${target.tag}`, manifest.data, { 'content-type': OCI_MANIFEST }),
    [201],
    `putting the manifest of ${target.repository}:${target.tag}`,
  );
  await put.body?.cancel();
  const digest = put.headers.get('docker-content-digest') ?? manifest.digest;
  if (digest !== manifest.digest) throw new Error(`registry stored the manifest as ${digest}, but its digest is ${manifest.digest}`);
  return { digest, uploaded, skipped };
}
