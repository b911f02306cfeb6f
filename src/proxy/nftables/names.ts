// Object names in the `ip skiff` table, in kube-proxy's nftables shape:
// `<prefix>-<HASH>-<ns>/<name>/<proto>/<portName>` for service chains and
// `…__<ip>/<port>` for endpoint chains and affinity sets. The hash keeps names unique when
// the readable part is ambiguous; the readable part lets a person find a Service in
// `nft list table ip skiff`. nft accepts `/`, `.`, `-` and `_` in unquoted identifiers.
import { createHash } from 'node:crypto';
import type { EndpointInfo, ServicePortInfo } from '../types.js';

export const TABLE = 'skiff';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 8 base32 characters (40 bits) of SHA-256, as kube-proxy's hashAndTruncate does. */
/** Names are asked for again and again (every sync of a port, several times per endpoint). */
const memo = new Map<string, string>();
const MEMO_MAX = 200_000;

export function shortHash(text: string): string {
  let h = memo.get(text);
  if (h === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    h = hash40(text);
    memo.set(text, h);
  }
  return h;
}

function hash40(text: string): string {
  const d = createHash('sha256').update(text).digest();
  // 40 bits fit a double exactly; plain arithmetic is far cheaper than BigInt for 11,000 names.
  const bits = d[0]! * 2 ** 32 + d[1]! * 2 ** 24 + d[2]! * 2 ** 16 + d[3]! * 2 ** 8 + d[4]!;
  let out = '';
  for (let i = 7; i >= 0; i--) out += BASE32[Math.floor(bits / 2 ** (i * 5)) % 32];
  return out;
}

export function protoName(svc: ServicePortInfo): string {
  return svc.protocol.toLowerCase();
}

function readable(svc: ServicePortInfo): string {
  return `${svc.namespace}/${svc.name}/${protoName(svc)}/${svc.portName}`;
}

function serviceBase(svc: ServicePortInfo): string {
  return `${shortHash(`${svc.key}/${svc.protocol}`)}-${readable(svc)}`;
}

function endpointBase(svc: ServicePortInfo, ep: EndpointInfo): string {
  const addr = `${ep.ip}:${ep.port}`;
  return `${shortHash(`${svc.key}/${svc.protocol}/${addr}`)}-${readable(svc)}__${ep.ip}/${ep.port}`;
}

/** Chain with every usable endpoint (traffic policy Cluster). */
export const clusterChainName = (svc: ServicePortInfo) => `service-${serviceBase(svc)}`;
/** Chain with this node's endpoints only (traffic policy Local). */
export const localChainName = (svc: ServicePortInfo) => `local-${serviceBase(svc)}`;
/** Entry chain for NodePort, externalIPs and LoadBalancer addresses. */
export const externalChainName = (svc: ServicePortInfo) => `external-${serviceBase(svc)}`;
export const endpointChainName = (svc: ServicePortInfo, ep: EndpointInfo) => `endpoint-${endpointBase(svc, ep)}`;
export const affinitySetName = (svc: ServicePortInfo, ep: EndpointInfo) => `affinity-${endpointBase(svc, ep)}`;

/** Chains the mode creates per service port (everything else in the table is fixed). */
export function isServiceChainName(name: string): boolean {
  return /^(service|local|external|endpoint)-[A-Z2-7]{8}-/.test(name);
}

export function isAffinitySetName(name: string): boolean {
  return /^affinity-[A-Z2-7]{8}-/.test(name);
}
