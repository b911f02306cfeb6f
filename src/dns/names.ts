// Names as the cluster DNS reads and writes them: dashed IPs (pod records and the
// system-assigned hostnames of endpoints), reverse-lookup names, and zone suffixes.
import { isIPv4, isIPv6 } from 'node:net';

/** Lower case, no trailing dot: the form every lookup uses (comparisons are case-insensitive). */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/** The labels of `name` in front of `zone`, or undefined when `name` is not inside it. Both canonical. */
export function labelsInZone(name: string, zone: string): string[] | undefined {
  if (name === zone) return [];
  if (!name.endsWith(`.${zone}`)) return undefined;
  return name.slice(0, name.length - zone.length - 1).split('.');
}

/** 10.0.0.1 → 10-0-0-1; fd00::1 → fd00--1 (as CoreDNS writes them). */
export function dashedIP(ip: string): string {
  return isIPv6(ip) ? ip.replace(/:/g, '-') : ip.replace(/\./g, '-');
}

/** 10-0-0-1 → 10.0.0.1; fd00--1 → fd00::1; undefined when the label is not an address. */
export function parseDashedIP(label: string): string | undefined {
  if (/^\d{1,3}(-\d{1,3}){3}$/.test(label)) {
    const ip = label.replace(/-/g, '.');
    return isIPv4(ip) ? ip : undefined;
  }
  if (label.includes('-') && /^[0-9a-f-]+$/.test(label)) {
    const ip = label.replace(/-/g, ':');
    return isIPv6(ip) ? ip : undefined;
  }
  return undefined;
}

/** Sixteen bytes of an IPv6 address as 32 hex nibbles. */
function ipv6Nibbles(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => g.padStart(4, '0').split(''));
}

/** The PTR owner name of an address: 1.0.43.10.in-addr.arpa, or the nibbles under ip6.arpa. */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${ipv6Nibbles(ip.toLowerCase()).reverse().join('.')}.ip6.arpa`;
}

/** The address a full reverse name stands for (canonical form), else undefined (partial or bad names). */
export function addressOfReverseName(name: string): string | undefined {
  const v4 = labelsInZone(name, 'in-addr.arpa');
  if (v4) {
    // One spelling per address: no leading zeros.
    if (v4.length !== 4 || !v4.every((l) => /^(0|[1-9]\d{0,2})$/.test(l))) return undefined;
    const ip = v4.reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  const v6 = labelsInZone(name, 'ip6.arpa');
  if (!v6 || v6.length !== 32 || !v6.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
  const hex = v6.reverse().join('');
  const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return normalizeIP(groups.join(':'));
}

/** One spelling per address, so that addresses compare as strings (IPv6 compressed, lower case). */
export function normalizeIP(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  const groups = ipv6Nibbles(ip.toLowerCase())
    .join('')
    .match(/.{4}/g)!
    .map((g) => g.replace(/^0+(?=.)/, ''));
  // The longest run of zero groups (at least two) becomes "::", as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function ipFamily(ip: string): 4 | 6 | undefined {
  return isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
}

/** Whether an address lies in one of the CIDRs (IPv4 and IPv6; a bare address is a /32 or /128). */
export function inCidrs(ip: string, cidrs: readonly string[]): boolean {
  return new CidrSet(cidrs).has(ip);
}

/** CIDRs parsed once, for a membership test per packet. */
export class CidrSet {
  private readonly nets: { family: 4 | 6; value: bigint; shift: bigint }[] = [];

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [base, bits] = c.split('/');
      const net = base ? toBigInt(base) : undefined;
      if (!net) continue;
      const width = net.family === 4 ? 32 : 128;
      const prefix = bits === undefined ? width : Number(bits);
      if (!(prefix >= 0 && prefix <= width)) continue;
      const shift = BigInt(width - prefix);
      this.nets.push({ family: net.family, value: net.value >> shift, shift });
    }
  }

  has(ip: string): boolean {
    const addr = toBigInt(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
    if (!addr) return false;
    for (const n of this.nets) if (n.family === addr.family && addr.value >> n.shift === n.value) return true;
    return false;
  }
}

function toBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { family: 4, value: ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(ip)) return undefined;
  return { family: 6, value: BigInt(`0x${ipv6Nibbles(ip.toLowerCase()).join('')}`) };
}
