// The relister lists every container and sandbox each second and reads four fields of
// each. Decoded through the full runtime.v1 messages (metadata, image, labels and
// annotations filled in, int64s turned into decimal strings, then into BigInts), those
// lists were most of an idle node agent's allocation and garbage collection. These views
// declare only the fields read, under the wire messages' field numbers, so the decoder
// skips the rest of each message without building anything.
import protobuf from 'protobufjs';
import type { ContainerState } from '../types.js';
import type { ListedContainer } from './convert.js';

const VIEWS = `
syntax = "proto3";
package skiff.relist;
message ContainerView { string id = 1; string pod_sandbox_id = 2; int32 state = 6; int64 created_at = 7; }
message ListContainersView { repeated ContainerView containers = 1; }
message SandboxView { string id = 1; int32 state = 3; int64 created_at = 4; }
message ListPodSandboxView { repeated SandboxView items = 1; }
`;

interface ContainerView {
  id: string;
  podSandboxId: string;
  state: number;
  createdAt: number | protobuf.Long;
}
interface SandboxView {
  id: string;
  state: number;
  createdAt: number | protobuf.Long;
}

const root = protobuf.parse(VIEWS, { keepCase: false }).root;
const containersView = root.lookupType('skiff.relist.ListContainersView');
const sandboxesView = root.lookupType('skiff.relist.ListPodSandboxView');

/** runtime.v1 ContainerState by number. */
const CONTAINER_STATES: readonly ContainerState[] = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'];
const SANDBOX_READY = 0;

/** An int64 as protobufjs decodes it (a Long where long.js is present) → BigInt nanoseconds. */
function int64(v: number | protobuf.Long | undefined): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high) << 32n) | BigInt(v.low >>> 0);
}

/** A ListContainers request with no filter: every container. */
export const LIST_ALL = Buffer.alloc(0);

/** ListContainersResponse bytes → the listed containers. */
export function listedContainersFromBytes(bytes: Buffer): ListedContainer[] {
  const m = containersView.decode(bytes) as unknown as { containers: ContainerView[] };
  return m.containers.map((c) => ({
    id: c.id,
    podSandboxId: c.podSandboxId,
    state: CONTAINER_STATES[c.state] ?? 'CONTAINER_UNKNOWN',
    createdAt: int64(c.createdAt),
  }));
}

/**
 * ListPodSandboxResponse bytes → each sandbox as its own container in its own sandbox,
 * running while ready, so that its death comes out as a stopped event for the pod's
 * sandbox (as a runtime with container events reports a sandbox's exit).
 */
export function listedSandboxesFromBytes(bytes: Buffer): ListedContainer[] {
  const m = sandboxesView.decode(bytes) as unknown as { items: SandboxView[] };
  return m.items.map((s) => ({
    id: s.id,
    podSandboxId: s.id,
    state: s.state === SANDBOX_READY ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
    createdAt: int64(s.createdAt),
  }));
}
