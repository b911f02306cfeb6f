// IP and CIDR parsing for validation (network policies, endpoint slices).
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedIP {
  family: 4 | 6;
  value: bigint;
}

export interface ParsedCIDR extends ParsedIP {
  prefix: number;
}

function v4ToBig(s: string): bigint {
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(parseInt(part, 10)), 0n);
}

function v6ToBig(s: string): bigint {
  let text = s;
  let v4tail: bigint[] = [];
  // An embedded IPv4 suffix (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = v4ToBig(text.slice(lastColon + 1));
    v4tail = [v4 >> 16n, v4 & 0xffffn];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const parts = text.split('::');
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length > 1 ? (parts[1] ? parts[1].split(':') : []) : null;
  const needed = 8 - v4tail.length;
  const groups = tail === null ? head : [...head, ...Array(needed - head.length - tail.length).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  for (const g of v4tail) v = (v << 16n) | g;
  return v;
}

export function parseIP(s: unknown): ParsedIP | null {
  if (typeof s !== 'string') return null;
  if (isIPv4(s)) return { family: 4, value: v4ToBig(s) };
  if (isIPv6(s)) return { family: 6, value: v6ToBig(s) };
  return null;
}

export function parseCIDR(s: unknown): ParsedCIDR | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!ip || !/^[0-9]+$/.test(bits)) return null;
  const prefix = parseInt(bits, 10);
  if (prefix > (ip.family === 4 ? 32 : 128)) return null;
  return { ...ip, prefix };
}

/** True when `ip` is inside the network of `cidr` (host bits of the CIDR ignored). */
export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if (cidr.family !== ip.family) return false;
  const width = BigInt(cidr.family === 4 ? 32 : 128);
  const shift = width - BigInt(cidr.prefix);
  return cidr.value >> shift === ip.value >> shift;
}

export const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** ValidateNonSpecialIP: addresses that can never be an endpoint. */
export function specialIPMessage(ip: ParsedIP): string | undefined {
  const inNet = (c: string) => cidrContains(parseCIDR(c)!, ip);
  if (ip.value === 0n) return `may not be unspecified (${ip.family === 4 ? '0.0.0.0' : '::'})`;
  if (inNet('127.0.0.0/8') || inNet('::1/128')) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
  if (inNet('169.254.0.0/16') || inNet('fe80::/10')) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
  if (inNet('224.0.0.0/24') || inNet('ff02::/10')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  return undefined;
}

// Port numbers and names are validated as in the core group; one definition serves both.
export { PORT_RANGE_MSG as PORT_NUM_MSG, isValidPortNum, isValidPortName as portNameErrors } from '../core/validate-helpers.js';
