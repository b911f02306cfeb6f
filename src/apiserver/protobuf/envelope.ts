// The `application/vnd.kubernetes.protobuf` media type: the "k8s\0" magic, then a
// runtime.Unknown envelope whose raw bytes are the object's message. Request bodies decode
// into the plain object the same request would carry as JSON; responses encode back.

import protobuf from 'protobufjs';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtobufDecodeError, ProtobufEncodeError } from './json-forms.js';
import { ENVELOPE, KIND_MESSAGES, MESSAGES } from './wire.generated.js';

export { ProtobufDecodeError, ProtobufEncodeError } from './json-forms.js';

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

// meta.k8s.io kinds every group version carries (Kubernetes registers them in each).
const UNVERSIONED = new Set(['Status', 'DeleteOptions', 'WatchEvent']);

/** Definition name of the message for an object of apiVersion/kind; undefined when it has none (e.g. a custom resource). */
export function messageFor(apiVersion: string, kind: string): string | undefined {
  return KIND_MESSAGES[`${apiVersion}/${kind}`] ?? (UNVERSIONED.has(kind) ? KIND_MESSAGES[`meta.k8s.io/v1/${kind}`] : undefined);
}

export function decodeKubernetesProtobuf(body: Buffer | Uint8Array): Record<string, unknown> {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw new ProtobufDecodeError('protobuf body does not start with the Kubernetes magic bytes "k8s\\0"');
  }
  try {
    const envelope = decodeMessage(ENVELOPE, body.subarray(MAGIC.length)) as Record<string, string | null>;
    const { apiVersion, kind, contentEncoding, contentType } = envelope;
    if (contentEncoding) throw new ProtobufDecodeError(`unsupported protobuf contentEncoding "${contentEncoding}"`);
    if (contentType && contentType !== KUBERNETES_PROTOBUF_CONTENT_TYPE) throw new ProtobufDecodeError(`unsupported embedded contentType "${contentType}"`);
    if (!apiVersion || !kind) throw new ProtobufDecodeError('protobuf envelope has no apiVersion/kind');
    const def = messageFor(apiVersion, kind);
    if (def === undefined) throw new ProtobufDecodeError(`${apiVersion} ${kind} has no protobuf form; send it as application/json`);
    const object = decodeMessage(def, Buffer.from(envelope.raw ?? '', 'base64')) as Record<string, unknown>;
    return { kind, apiVersion, ...object };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    // protobufjs's Reader throws RangeError on truncated input.
    throw new ProtobufDecodeError(`malformed protobuf body: ${(err as Error).message}`);
  }
}

/** The protobuf body of a built-in object; undefined when its kind has no protobuf form. */
export function encodeKubernetesProtobuf(object: Record<string, unknown>): Buffer | undefined {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const def = messageFor(apiVersion, kind);
  if (def === undefined) return undefined;
  const raw = encodeMessage(def, object);
  const envelope = encodeMessage(ENVELOPE, { apiVersion, kind, raw, contentEncoding: '', contentType: '' });
  return Buffer.concat([MAGIC, envelope]);
}

const WATCH_EVENT = 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent';
const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const tag = (def: string, name: string): number => ((MESSAGES[def]?.find((f) => f[0] === name)?.[1] ?? 0) << 3) | 2;

/**
 * One event of a protobuf watch stream, as kube-apiserver frames it: a 4-byte big-endian
 * length, then the WatchEvent message itself (no magic, no envelope) whose object's raw bytes
 * are the object's full protobuf body (not JSON, which RawExtension's JSON form would write).
 */
export function encodeWatchFrame(ev: { type: string; object: unknown }): Buffer {
  const object = encodeKubernetesProtobuf(ev.object as Record<string, unknown>);
  if (!object) throw new ProtobufEncodeError(`a ${String((ev.object as { kind?: unknown })?.kind)} in a watch has no protobuf form`);
  const w = protobuf.Writer.create();
  w.uint32(tag(WATCH_EVENT, 'type')).string(ev.type);
  w.uint32(tag(WATCH_EVENT, 'object')).fork().uint32(tag(RAW_EXTENSION, 'raw')).bytes(object).ldelim();
  const event = w.finish();
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}
