// Chain names as kube-proxy derives them, so that rules read the same as a kube-proxy node's
// and a switch from kube-proxy leaves no chain behind under a second name: the first 16
// characters of the base32 (RFC 4648, standard alphabet) SHA-256 of the service port name
// plus the lower-case protocol (plus "ip:port" for an endpoint chain).
import { createHash } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Base32 of the first 10 bytes: exactly the 16 characters kube-proxy keeps. */
function base32Prefix16(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    buffer = (buffer << 8) | bytes[i]!;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function hash16(text: string): string {
  return base32Prefix16(createHash('sha256').update(text).digest());
}

export type ChainKind = 'SVC' | 'SVL' | 'EXT' | 'FW';

/** KUBE-SVC-… (Cluster policy), KUBE-SVL-… (Local policy), KUBE-EXT-… (external destinations). */
export function serviceChain(kind: ChainKind, servicePortName: string, protocol: string): string {
  return `KUBE-${kind}-${hash16(servicePortName + protocol.toLowerCase())}`;
}

/** KUBE-SEP-…: one per endpoint ("ip:port") of a service port. */
export function endpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hash16(servicePortName + protocol.toLowerCase() + endpoint)}`;
}

/** Chains that belong to one service port (and are deleted with it). */
export function isServiceOwnedChain(name: string): boolean {
  return /^KUBE-(SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}$/.test(name);
}
