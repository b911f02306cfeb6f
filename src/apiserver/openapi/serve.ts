// HTTP for /openapi/v2 and /openapi/v3…, with the caching rules of kube-openapi: an ETag
// (the content hash) on every document, 304 for a matching If-None-Match, and a document
// asked for by its current ?hash= is immutable for a year; a stale hash is redirected.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../status.js';
import type { OpenApiDocument, OpenApiService } from './index.js';
import { parseAccept } from '../negotiation.js';
import type { RequestUrl } from '../request-info.js';

const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** The first of JSON or gnostic protobuf the Accept header admits (kubectl's v2 client asks for protobuf only). */
function v2Form(accept: string | undefined): 'json' | 'protobuf' | undefined {
  for (const m of parseAccept(accept)) {
    if (m.type === V2_PROTOBUF || m.type === 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf') return 'protobuf';
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*') return 'json';
  }
  return undefined;
}

export function serveOpenApi(service: OpenApiService, path: string, url: RequestUrl, req: IncomingMessage, res: ServerResponse): void {
  let doc: OpenApiDocument | undefined;
  let contentType = 'application/json';
  if (path === '/openapi/v2') {
    const form = v2Form(req.headers.accept);
    if (!form) throw errors.notAcceptable(`only application/json and ${V2_PROTOBUF} are served`);
    doc = form === 'json' ? service.v2() : service.v2Protobuf();
    // The response names the type without '@', which Go's mime parser refuses (as kube-openapi does).
    if (form === 'protobuf') contentType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
  } else if (path === '/openapi/v3') doc = service.v3('');
  else if (path.startsWith('/openapi/v3/')) doc = service.v3(path.slice('/openapi/v3/'.length));
  if (!doc) throw errors.pageNotFound(path);

  const etag = `"${doc.etag}"`;
  const hash = url.searchParams.get('hash');
  if (hash !== null && hash !== doc.etag) {
    res.writeHead(301, { Location: `${url.pathname}?hash=${doc.etag}`, 'Cache-Control': 'no-cache, private' });
    res.end();
    return;
  }
  const caching: Record<string, string> = hash
    ? { 'Cache-Control': 'public, immutable', Expires: new Date(Date.now() + 365 * 86400_000).toUTCString(), Vary: 'Accept' }
    : { 'Cache-Control': 'no-cache, private' };
  const inm = req.headers['if-none-match'];
  if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    res.writeHead(304, { ETag: etag, ...caching });
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? doc.gzipped() : doc.body;
  res.writeHead(200, {
    'Content-Type': contentType,
    ETag: etag,
    ...caching,
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
