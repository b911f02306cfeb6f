// The pod network of one node, as CNI configuration for the runtime: once the node has its
// pod CIDR the agent writes a conflist (bridge with the node as gateway, host-local IPAM over the pod CIDR, portmap for hostPort) into the conf dir containerd
// watches, and turns on IPv4 forwarding. The runtime calls the plugins (ADD on sandbox
// start, DEL on stop, which gives back the veth and the IP lease). The bridge plugin's own
// masquerade (ipMasq) rewrites everything that leaves the node's /24, pod → pod across nodes
// included; with a pod network backend (node-network.ts) it is off and Skiff's rules
// masquerade only what leaves the cluster CIDR.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_BRIDGE = 'skiff0';
export const NETWORK_NAME = 'skiff';
const CONFLIST = '10-skiff.conflist';

export interface CniNetworkOptions {
  /** Directory the runtime reads CNI configs from (DATA_DIR/agent/cni/net.d). */
  confDir: string;
  /** Where host-local keeps its leases (DATA_DIR/agent/cni/ipam). */
  ipamDir: string;
  /** Linux bridge name, at most 15 characters. */
  bridge?: string;
  /** Network name in the conflist; also host-local's subdirectory of ipamDir. */
  networkName?: string;
  mtu?: number;
  /** The bridge plugin masquerades pod traffic leaving the node; default true. */
  ipMasq?: boolean;
  /** Where IPv4 forwarding is switched on; tests point it elsewhere. */
  ipForwardPath?: string;
}

/** The /24 (or any IPv4 CIDR) checked and normalised, or a clear error. */
export function parseIPv4Cidr(cidr: string): { ip: string; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new Error(`pod CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR such as 10.42.0.0/24`);
  const parts = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (parts.some((p) => p > 255) || prefix < 8 || prefix > 30) throw new Error(`pod CIDR ${cidr} is out of range (want a prefix between /8 and /30)`);
  return { ip: parts.join('.'), prefix };
}

export function validBridgeName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name);
}

export function cniConflist(podCidr: string, opts: Pick<CniNetworkOptions, 'ipamDir' | 'bridge' | 'networkName' | 'mtu' | 'ipMasq'>): object {
  const { ip, prefix } = parseIPv4Cidr(podCidr);
  const bridge = opts.bridge ?? DEFAULT_BRIDGE;
  if (!validBridgeName(bridge)) throw new Error(`bridge name ${JSON.stringify(bridge)} is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  const name = opts.networkName ?? NETWORK_NAME;
  return {
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: opts.ipMasq ?? true,
        hairpinMode: true,
        ...(opts.mtu ? { mtu: opts.mtu } : {}),
        ipam: {
          type: 'host-local',
          dataDir: opts.ipamDir,
          ranges: [[{ subnet: `${ip}/${prefix}` }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export class CniNetwork {
  private podCidr?: string;
  private readonly opts: CniNetworkOptions;

  constructor(opts: CniNetworkOptions) {
    const bridge = opts.bridge ?? DEFAULT_BRIDGE;
    if (!validBridgeName(bridge)) throw new Error(`bridge name ${JSON.stringify(bridge)} is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)`);
    this.opts = { ...opts };
  }

  /** Masquerade and MTU as the pod network backend wants them; rewrites the conflist if it was written already. */
  setPodNetworkOptions(o: { ipMasq: boolean; mtu?: number }): void {
    this.opts.ipMasq = o.ipMasq;
    if (o.mtu !== undefined) this.opts.mtu = o.mtu;
    if (this.podCidr) this.configure(this.podCidr);
  }

  get bridge(): string {
    return this.opts.bridge ?? DEFAULT_BRIDGE;
  }

  get confFile(): string {
    return join(this.opts.confDir, CONFLIST);
  }

  /** Writes the conflist for the node's pod CIDR (atomically: the runtime watches the directory). */
  configure(podCidr: string): void {
    const text = `${JSON.stringify(cniConflist(podCidr, this.opts), null, 2)}\n`;
    mkdirSync(this.opts.confDir, { recursive: true });
    mkdirSync(this.opts.ipamDir, { recursive: true, mode: 0o700 });
    this.enableForwarding();
    if (this.podCidr === podCidr && existsSync(this.confFile) && readFileSync(this.confFile, 'utf8') === text) return;
    const tmp = `${this.confFile}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.confFile);
    this.podCidr = podCidr;
  }

  /** Pods reach each other across the bridge and their replies leave the node only with forwarding on. */
  enableForwarding(): void {
    const path = this.opts.ipForwardPath ?? '/proc/sys/net/ipv4/ip_forward';
    try {
      if (readFileSync(path, 'utf8').trim() !== '1') writeFileSync(path, '1');
    } catch (err) {
      throw new Error(`cannot enable IPv4 forwarding at ${path}: ${(err as Error).message}`);
    }
  }

  /** Pod IPs host-local has handed out and not yet released. */
  leases(): string[] {
    const dir = join(this.opts.ipamDir, this.opts.networkName ?? NETWORK_NAME);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  }
}
