// Writing an answer: a handler result encoded as the client asked (JSON, YAML, Table,
// PartialObjectMetadata, protobuf; big lists in chunks), and Status errors.
import type { ServerResponse } from 'node:http';
import YAML from 'yaml';
import type { KObject } from '../api/types.js';
import { listJson, listJsonChunks, toJson } from './json-cache.js';
import { nonProtobuf, type OutputKind, protobufResponse } from './negotiation.js';
import type { StatusError } from './status.js';
import { toPartial, toPartialList, toTable, type IncludeObject } from './table-convert.js';
import type { ApiResult } from './types.js';
import { queryFlag } from '../util/query-bool.js';

export function send(res: ServerResponse, status: number, contentType: string, body: string | string[] | Buffer): void {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
    // A list in pieces: chunked transfer, each piece written as soon as it is serialised.
    res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
    for (const chunk of body) res.write(chunk);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  send(res, err.code, 'application/json', err.toJson());
}

export function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Encodes a handler result in the representation the client asked for. */
export function encodeResult(result: ApiResult, wanted: OutputKind, q: URLSearchParams): { type: string; body: string | string[] | Buffer } {
  const { body, def, list } = result;
  const pb = protobufResponse(wanted, body);
  if (pb) return pb;
  const out = nonProtobuf(wanted);
  const isStatus = body.kind === 'Status' || !def;
  if (out.kind === 'table' && !isStatus && def && (list || body.metadata)) {
    const t = toTable(def, body, !!list, { version: out.version, include: includeObject(q) });
    return { type: `application/json;as=Table;v=${out.version};g=meta.k8s.io`, body: JSON.stringify(t) };
  }
  if (out.kind === 'partial' && !isStatus && def) {
    const p = list ? toPartialList(def, body, out.version) : toPartial(body, out.version);
    return {
      type: `application/json;as=${list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=${out.version};g=meta.k8s.io`,
      body: JSON.stringify(p),
    };
  }
  if (out.kind === 'yaml') return { type: 'application/yaml', body: YAML.stringify(body) };
  // ?pretty=true: indented as Go's json.MarshalIndent(obj, "", "  ") writes it.
  if (queryFlag(q, 'pretty')) return { type: 'application/json', body: `${JSON.stringify(body, null, 2)}\n` };
  if (list) {
    const { items, ...head } = body;
    const list = items as KObject[];
    return { type: 'application/json', body: list.length > 1000 ? listJsonChunks(head, list) : listJson(head, list) };
  }
  return { type: 'application/json', body: toJson(body) };
}
