// Content negotiation: which encoding a client sends and which it accepts back.
import YAML from 'yaml';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF_CONTENT_TYPE, ProtobufDecodeError } from './protobuf/decode.js';
import { errors } from './status.js';

export interface MediaRange {
  type: string; // e.g. application/json
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type, ...ps] = part.trim().split(';');
    const params: Record<string, string> = {};
    for (const p of ps) {
      const [k, v] = p.split('=');
      if (k && v !== undefined) params[k.trim()] = v.trim();
    }
    return { type: (type ?? '').trim().toLowerCase(), params };
  });
}

export type OutputKind =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean };

/** The first representation in the Accept list that this server can produce. */
export function chooseOutput(accept: string | undefined): OutputKind {
  for (const m of parseAccept(accept)) {
    const as = m.params.as;
    const isJson = m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*';
    if (as) {
      if (!isJson || m.params.g !== 'meta.k8s.io') continue;
      const version = m.params.v === 'v1beta1' ? 'v1beta1' : m.params.v === 'v1' ? 'v1' : undefined;
      if (!version) continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial', version, list: as === 'PartialObjectMetadataList' };
      continue;
    }
    if (isJson) return { kind: 'json' };
    if (m.type === 'application/yaml') return { kind: 'yaml' };
  }
  throw errors.notAcceptable('only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io');
}

/** Decodes a request body by its Content-Type. */
export function decodeBody(contentType: string | undefined, raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    try {
      const docs = YAML.parseAllDocuments(text);
      if (docs.length !== 1) throw new Error('expected a single YAML document');
      if (docs[0]!.errors.length) throw docs[0]!.errors[0];
      return docs[0]!.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (type === KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    // kubectl's `create` subcommands send protobuf; the rest of the server works on JSON objects.
    try {
      return decodeKubernetesProtobuf(raw);
    } catch (err) {
      if (err instanceof ProtobufDecodeError) throw errors.badRequest(err.message);
      throw err;
    }
  }
  if (type !== 'application/json' && !type.endsWith('+json') && type !== '*/*')
    throw errors.unsupportedMediaType(type);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}
