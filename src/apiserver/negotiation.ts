// Content negotiation: which encoding a client sends and which it accepts back.
import YAML from 'yaml';
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  encodeWatchFrame,
  KUBERNETES_PROTOBUF_CONTENT_TYPE,
  messageFor,
  ProtobufDecodeError,
  ProtobufEncodeError,
} from './protobuf/envelope.js';
import { errors, StatusError } from './status.js';
import { MAX_DEPTH, textDepth, tooDeep, yamlErrorText } from './rest/encoded-limits.js';

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
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean }
  /** Built-in kinds as protobuf; anything else (custom resources) in `fallback`, or 406 without one. */
  | { kind: 'protobuf'; fallback?: Exclude<OutputKind, { kind: 'protobuf' }> };

const NOT_ACCEPTABLE =
  'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json;as=Table;v=v1;g=meta.k8s.io';

/** The first representation in the Accept list that this server can produce. */
export function chooseOutput(accept: string | undefined): OutputKind {
  const ranges = parseAccept(accept);
  for (const [i, m] of ranges.entries()) {
    if (m.type === KUBERNETES_PROTOBUF_CONTENT_TYPE && !m.params.as) {
      const rest = ranges.slice(i + 1).map((r) => [r.type, ...Object.entries(r.params).map(([k, v]) => `${k}=${v}`)].join(';'));
      let fallback: OutputKind | undefined;
      try {
        fallback = rest.length ? chooseOutput(rest.join(',')) : undefined;
      } catch {
        fallback = undefined;
      }
      return { kind: 'protobuf', fallback: fallback?.kind === 'protobuf' ? fallback.fallback : fallback };
    }
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
  throw errors.notAcceptable(NOT_ACCEPTABLE);
}

/** A representation other than protobuf (watch streams, objects without a protobuf form); 406 when the client accepts none. */
export function nonProtobuf(out: OutputKind): Exclude<OutputKind, { kind: 'protobuf' }> {
  if (out.kind !== 'protobuf') return out;
  if (!out.fallback) throw errors.notAcceptable(NOT_ACCEPTABLE);
  return out.fallback;
}

/** How a watch stream of `apiVersion`/`kind` objects is written: protobuf frames for built-in kinds when asked, else `plain`. */
export function watchOutput(
  out: OutputKind,
  apiVersion: string,
  kind: string,
): { contentType: string; frame: (ev: { type: string; object: unknown }) => Buffer } | { plain: Exclude<OutputKind, { kind: 'protobuf' }> } {
  if (out.kind !== 'protobuf' || !messageFor(apiVersion, kind)) return { plain: nonProtobuf(out) };
  const frame = (ev: { type: string; object: unknown }): Buffer => {
    try {
      return encodeWatchFrame({ type: ev.type, object: { apiVersion, kind, ...(ev.object as object) } });
    } catch (err) {
      // As kube-apiserver does when an event cannot be encoded: an ERROR event in its place.
      const status = errors.internal(new Error(`unable to encode watch object: ${(err as Error).message}`)).toStatus();
      return encodeWatchFrame({ type: 'ERROR', object: status });
    }
  };
  return { contentType: `${KUBERNETES_PROTOBUF_CONTENT_TYPE};stream=watch`, frame };
}

/** The protobuf body of a response, as kube-apiserver serves built-in kinds; undefined when the client's other choice applies. */
export function protobufResponse(out: OutputKind, body: Record<string, unknown>): { type: string; body: Buffer } | undefined {
  if (out.kind !== 'protobuf') return undefined;
  let wire: Buffer | undefined;
  try {
    wire = encodeKubernetesProtobuf(body);
  } catch (err) {
    // An object that does not fit its message (bad stored data) still reaches a client that also takes JSON.
    if (!(err instanceof ProtobufEncodeError) || !out.fallback) throw err;
  }
  if (wire) return { type: KUBERNETES_PROTOBUF_CONTENT_TYPE, body: wire };
  nonProtobuf(out);
  return undefined;
}

/**
 * Decodes a request body by its Content-Type. `checked`: the body as text, already found
 * within the depth limit by the caller (decoding and scanning it again would be wasted).
 */
export function decodeBody(contentType: string | undefined, raw: Buffer, checked?: string): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const text = checked ?? raw.toString('utf8');
  if (checked === undefined && type !== KUBERNETES_PROTOBUF_CONTENT_TYPE && textDepth(text) > MAX_DEPTH) throw tooDeep();
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    try {
      const docs = YAML.parseAllDocuments(text);
      if (docs.length !== 1) throw new Error('expected a single YAML document');
      if (docs[0]!.errors.length) throw docs[0]!.errors[0];
      return docs[0]!.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: yaml: ${yamlErrorText(err)}`);
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
  if (type !== 'application/json' && !type.endsWith('+json') && type !== '*/*') throw errors.unsupportedMediaType(type);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonBodyError(raw, `couldn't get version/kind; json parse error: ${goJsonError(text, err as Error)}`);
  }
}

/** A body sent as JSON that is not JSON (often YAML, as `kubectl create --raw -f x.yaml` sends it). */
export class JsonBodyError extends StatusError {
  constructor(
    readonly raw: Buffer,
    readonly parseError: string,
  ) {
    super(400, 'BadRequest', parseError);
  }

  /** kube-apiserver's message when the body was meant to be an object of `kind` (its transformDecodeError). */
  forKind(kind: string): StatusError {
    return errors.badRequest(`the object provided is unrecognized (must be of type ${kind}): ${this.parseError} (${summarizeBody(this.raw, 30)})`);
  }
}

/** The first bytes of a body as kube-apiserver quotes them in decode errors: as text when it looks like JSON, else in hex. */
function summarizeBody(raw: Buffer, max: number): string {
  if (raw.length === 0) return '<empty>';
  const head = raw.subarray(0, max);
  const more = raw.length > max ? ' ...' : '';
  return raw[0] === 0x7b ? `${head.toString('utf8')}${more}` : `${head.toString('hex')}${more}`;
}

/** Go's encoding/json wording for the common failures (what a client sees from kube-apiserver); else the parser's own. */
function goJsonError(text: string, err: Error): string {
  const first = /\S/.exec(text);
  if (!first) return 'unexpected end of JSON input';
  const c = first[0];
  if (!'{["-0123456789tfn'.includes(c)) return `invalid character ${c === "'" ? "'\\''" : `'${c}'`} looking for beginning of value`;
  return err.message;
}
