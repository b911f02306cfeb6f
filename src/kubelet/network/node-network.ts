// The node network: joins this node's pod CIDR to every other node's (`--pod-network
// host-gw|vxlan|none`), level-triggered from a Node informer like flannel's subnet watch.
// On every change it computes what the kernel should hold (pod-routes.ts) and makes it so;
// a periodic full pass repairs what something else removed. Once this node's routes are in
// place it reports NetworkUnavailable=False (reason RouteCreated), as the route controller
// does in a cloud; when the kernel refuses a route it reports True (NoRouteCreated).
//
// Stopping leaves everything in place (pods keep talking, as with kube-proxy's rules); the
// next start adopts it, and `skiff cleanup` removes it.
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import { SharedInformerFactory } from '../../client/informer-factory.js';
import { resources } from '../../client/resources.js';
import type { Logger } from '../../util/log.js';
import type { CniNetwork } from './cni.js';
import { runCommand, type CommandRunner } from './commands.js';
import { checkConflicts } from './conflicts.js';
import { claimNetwork } from './host-claim.js';
import { netsOverlap, parseIpv4Net } from './ipv4.js';
import { ensureMasquerade } from './masquerade.js';
import { applyNetwork, desiredNetwork, peersOf, POD_NETWORK_ANNOTATION, VXLAN_MAC_ANNOTATION, type PodNetworkMode } from './pod-routes.js';
import { ensureBridge, ensureVxlan, removeVxlan, underlayFor, vtepMacFor, VXLAN_OVERHEAD, vxlanDeviceName, type Underlay } from './vxlan.js';

export interface NodeNetworkOptions {
  client: Client;
  nodeName: string;
  /** The node's InternalIP: next hop (host-gw) or tunnel endpoint (vxlan). */
  nodeIP: string;
  mode: PodNetworkMode;
  clusterCidr: string;
  bridge: string;
  /** The node's CNI network; without one (simulated runtime) there is nothing to wire. */
  cni?: CniNetwork;
  log: Logger;
  run?: CommandRunner;
  /** Full repair pass; default 30 s. */
  resyncMs?: number;
  /** The flag that sets nodeIP, for error messages (`--node-ip`, `--advertise-address`). */
  nodeIPFlag?: string;
  /** Where running Skiffs claim their bridge and cluster CIDR (host-claim.ts); tests give their own. */
  claimDir?: string;
}

export interface NodeNetwork {
  readonly mode: PodNetworkMode;
  /** Resolves after the next reconcile pass has finished (tests). */
  settled(): Promise<void>;
  stop(): void;
}

const CONDITION = 'NetworkUnavailable';

/**
 * Checks the host for conflicts (throws with the flag to change), sets the CNI options the
 * mode needs, and starts following the Node objects. Call it before the node agent starts
 * its pods, so that the first pod already gets the right MTU and masquerade behaviour.
 */
export async function startNodeNetwork(o: NodeNetworkOptions): Promise<NodeNetwork> {
  const run = o.run ?? runCommand;
  const log = o.log.child('pod-network');
  const noop: NodeNetwork = { mode: o.mode, settled: async () => {}, stop() {} };
  if (!o.cni) return noop;
  const cluster = parseIpv4Net(o.clusterCidr);
  if (!cluster) throw new Error(`--cluster-cidr ${o.clusterCidr} is not an IPv4 CIDR`);
  const vxDev = vxlanDeviceName(o.bridge);
  await checkConflicts(run, { bridge: o.bridge, vxlanDevice: vxDev, clusterCidr: o.clusterCidr });
  const releaseClaim = claimNetwork({ bridge: o.bridge, clusterCidr: o.clusterCidr, dir: o.claimDir });
  const ipFlag = o.nodeIPFlag ?? '--node-ip';
  let underlay: Underlay | undefined;
  if (o.nodeIP.startsWith('127.')) {
    // A node on loopback (one host, tests) reaches no other node: its MTU says nothing about pods'.
    if (o.mode === 'vxlan') throw new Error(`--pod-network vxlan needs a node address other nodes can reach, not ${o.nodeIP}: set ${ipFlag}`);
  } else {
    try {
      underlay = await underlayFor(run, o.nodeIP, ipFlag);
    } catch (err) {
      if (o.mode === 'vxlan') throw err;
      log.warn('the node address is not on an interface of this host; pod MTU left at its default', { error: (err as Error).message });
    }
  }
  const podMtu = underlay ? underlay.mtu - (o.mode === 'vxlan' ? VXLAN_OVERHEAD : 0) : undefined;
  // With a backend Skiff masquerades only traffic leaving the cluster (masquerade.ts); with
  // none it knows no other node, and the bridge plugin masquerades all that leaves the node.
  o.cni.setPodNetworkOptions({ ipMasq: o.mode === 'none', mtu: podMtu });
  log.info('pod network', { mode: o.mode, clusterCIDR: o.clusterCidr, bridge: o.bridge, ...(o.mode === 'vxlan' ? { vxlanDevice: vxDev } : {}), mtu: podMtu });

  const informers = new SharedInformerFactory(o.client);
  const nodes = informers.informerFor(resources.nodes);
  let stopped = false;
  let running: Promise<void> | undefined;
  let again: 'no' | 'changes' | 'full' = 'no';
  let retryMs = 1000;
  let retryTimer: NodeJS.Timeout | undefined;
  let preparedFor: string | undefined;
  let applied: string | undefined;
  let warnedOutside: string | undefined;

  const setCondition = async (self: Node, status: 'True' | 'False', reason: string, message: string) => {
    const cur = self.status?.conditions?.find((c) => c.type === CONDITION);
    if (cur?.status === status && cur.reason === reason) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond: NodeCondition = { type: CONDITION, status, reason, message, lastTransitionTime: now, lastHeartbeatTime: now };
    await o.client.nodes.patch(o.nodeName, { status: { conditions: [cond] } }, 'strategic', { subresource: 'status' });
  };

  const publish = async (self: Node, annotations: Record<string, string>) => {
    const have = self.metadata?.annotations ?? {};
    if (Object.entries(annotations).every(([k, v]) => have[k] === v)) return;
    await o.client.nodes.patch(o.nodeName, { metadata: { annotations } }, 'merge');
  };

  const reconcile = async (full: boolean) => {
    const self = nodes.get(o.nodeName);
    const podCidr = self?.spec?.podCIDR;
    if (!self || !podCidr) return;
    const own = parseIpv4Net(podCidr);
    if (own && !netsOverlap(own, cluster) && warnedOutside !== podCidr) {
      warnedOutside = podCidr;
      log.error(`this node's pod CIDR ${podCidr} is outside --cluster-cidr ${o.clusterCidr}: give this node the server's --cluster-cidr`);
    }
    const annotations: Record<string, string> = { [POD_NETWORK_ANNOTATION]: o.mode };
    if (full || preparedFor !== podCidr) {
      await ensureBridge(run, o.bridge, podMtu ?? 1500);
      if (o.mode !== 'none') await ensureMasquerade(run, podCidr, o.clusterCidr, o.bridge);
      if (o.mode === 'vxlan') {
        const mac = await ensureVxlan(run, { name: vxDev, localIP: o.nodeIP, underlay: underlay!, mac: vtepMacFor(o.nodeName), podCidr });
        annotations[VXLAN_MAC_ANNOTATION] = mac;
      } else if (await removeVxlan(run, vxDev)) log.info('VXLAN device removed (pod network is not vxlan)', { device: vxDev });
      preparedFor = podCidr;
    } else if (o.mode === 'vxlan') annotations[VXLAN_MAC_ANNOTATION] = vtepMacFor(o.nodeName);
    await publish(self, annotations);
    const want = desiredNetwork(o.mode, peersOf(nodes.store.list(), o.nodeName), vxDev);
    const signature = JSON.stringify(want);
    if (!full && signature === applied) return;
    const res = await applyNetwork(run, want, o.mode === 'vxlan' ? vxDev : undefined);
    applied = res.failures.length ? undefined : signature;
    if (res.changed) log.info('pod network routes synced', { routes: want.routes.map((r) => `${r.dst} via ${r.via}`), waitingFor: want.waiting });
    if (o.mode === 'none') return;
    if (res.failures.length) {
      for (const f of res.failures) log.warn('pod network entry not applied', { error: f });
      const hint = o.mode === 'host-gw' ? ' (host-gw needs every node on one link; --pod-network vxlan does not)' : '';
      await setCondition(self, 'True', 'NoRouteCreated', `${res.failures.length} route(s) to other nodes could not be created${hint}: ${res.failures[0]}`);
    } else await setCondition(self, 'False', 'RouteCreated', 'RouteController created a route');
  };

  const waiters: (() => void)[] = [];
  const kick = (mode: 'changes' | 'full') => {
    if (stopped) return;
    if (again !== 'full') again = mode;
    if (running) return;
    running = (async () => {
      while (again !== 'no' && !stopped) {
        const full = again === 'full';
        again = 'no';
        try {
          await reconcile(full);
          retryMs = 1000;
        } catch (err) {
          log.error('pod network sync failed; retrying', { error: (err as Error).message, retryInMs: retryMs });
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => kick('full'), retryMs);
          retryMs = Math.min(retryMs * 2, 30_000);
        }
      }
      running = undefined;
      for (const w of waiters.splice(0)) w();
    })();
  };
  nodes.addEventHandler({ onAdd: () => kick('changes'), onUpdate: () => kick('changes'), onDelete: () => kick('changes') });
  informers.start();
  const resync = setInterval(() => kick('full'), o.resyncMs ?? 30_000);
  resync.unref();
  kick('full');
  return {
    mode: o.mode,
    settled: () => (running ? new Promise<void>((r) => waiters.push(r)) : Promise.resolve()),
    stop() {
      stopped = true;
      clearInterval(resync);
      clearTimeout(retryTimer);
      informers.stop();
      releaseClaim();
    },
  };
}
