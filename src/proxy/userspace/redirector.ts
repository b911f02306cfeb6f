// Where root is available, the userspace proxy also makes cluster IPs (and external IPs)
// lead to its loopback listeners: DNAT rules in a table of their own, `ip skiff-userspace`,
// for the host's own traffic (nat output) and pods' traffic (nat prerouting). Sending pod
// traffic to 127.0.0.1 needs `route_localnet`, which kube-proxy sets for the same reason.
// The proxy works without any of this (rootless): services are then reached on loopback.
import { writeFile } from 'node:fs/promises';
import { NftCommand, type NftRunner } from '../nftables/nft-command.js';
import type { Protocol } from '../types.js';

export interface Redirect {
  protocol: Protocol;
  ip: string;
  port: number;
  /** The loopback listener's port on 127.0.0.1. */
  toPort: number;
}

export interface ServiceRedirector {
  /** Makes the redirect rules exactly these. */
  sync(redirects: readonly Redirect[]): Promise<void>;
  /** Removes every redirect rule. */
  cleanup(): Promise<void>;
}

export const REDIRECT_TABLE = 'skiff-userspace';

/** One `nft -f` transaction that rewrites the whole (small) redirect table. */
export function redirectRuleset(redirects: readonly Redirect[]): string {
  const t = `ip ${REDIRECT_TABLE}`;
  const lines = [
    `add table ${t} { comment "skiff userspace proxy: service addresses to loopback listeners" ; }`,
    `add chain ${t} redirects`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${t} nat-output { type nat hook output priority -100 ; }`,
    `flush chain ${t} redirects`,
    `flush chain ${t} nat-prerouting`,
    `flush chain ${t} nat-output`,
    `add rule ${t} nat-prerouting jump redirects`,
    `add rule ${t} nat-output jump redirects`,
  ];
  for (const r of redirects) {
    const proto = r.protocol.toLowerCase();
    lines.push(`add rule ${t} redirects ip daddr ${r.ip} ${proto} dport ${r.port} dnat to 127.0.0.1:${r.toPort}`);
  }
  return `${lines.join('\n')}\n`;
}

export class NftRedirector implements ServiceRedirector {
  private last?: string;
  private routeLocalnetSet = false;

  constructor(private readonly opts: { nft?: NftRunner; routeLocalnet?: boolean } = {}) {}

  private get nft(): NftRunner {
    return this.opts.nft ?? new NftCommand();
  }

  async sync(redirects: readonly Redirect[]): Promise<void> {
    if (this.opts.routeLocalnet && !this.routeLocalnetSet) {
      await writeFile('/proc/sys/net/ipv4/conf/all/route_localnet', '1');
      this.routeLocalnetSet = true;
    }
    const text = redirectRuleset(redirects);
    if (text === this.last) return;
    await this.nft.apply(text);
    this.last = text;
  }

  async cleanup(): Promise<void> {
    await this.nft.apply(`add table ip ${REDIRECT_TABLE}\ndelete table ip ${REDIRECT_TABLE}\n`);
    this.last = undefined;
  }
}
