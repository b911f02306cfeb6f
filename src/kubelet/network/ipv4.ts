// IPv4 CIDR arithmetic for the node network: enough to tell whether two networks overlap
// (the safety checks before Skiff creates its bridge and routes) and to compare routes the
// kernel prints with the ones Skiff wants.

export interface Ipv4Net {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0);

/** `10.42.0.0/16`, or a bare address (a /32, as `ip route` prints host routes); undefined when not IPv4. */
export function parseIpv4Net(cidr: string): Ipv4Net | undefined {
  const [ip, bits] = cidr.trim().split('/');
  const n = ipv4ToNumber(ip ?? '');
  const prefix = bits === undefined ? 32 : Number(bits);
  if (n === undefined || !/^\d{1,2}$/.test(bits ?? '32') || prefix > 32) return undefined;
  return { base: (n & maskOf(prefix)) >>> 0, prefix };
}

export function netsOverlap(a: Ipv4Net, b: Ipv4Net): boolean {
  const mask = maskOf(Math.min(a.prefix, b.prefix));
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0;
}

export function netContains(outer: Ipv4Net, ip: string): boolean {
  const n = ipv4ToNumber(ip);
  return n !== undefined && (n & maskOf(outer.prefix)) >>> 0 === outer.base;
}
