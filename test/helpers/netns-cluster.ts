// A multi-node cluster for e2e tests where every node runs inside its own network namespace
// (see netns-topology.ts for the wiring): node 0 is a `skiff server` with its own node agent,
// nodes 1…N are `skiff agent`s, each with its own data dir, containerd, CNI bridge and kubelet
// port. kubectl runs on the host against the server node's address. The pod and service
// CIDRs are unique to the run and held by `unreachable` routes on the host while it lives.
//
// cleanup() removes every process, pod sandbox, namespace, veth, route and data dir; it runs
// also on SIGINT/SIGTERM, and a synchronous last resort runs at process exit. Use:
//
//   const c = await startNetnsCluster({ agents: 1 });
//   after(() => c.cleanup());
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { realAgent, type RealAgent } from './real-agent.js';
import { realNodeMissing, startRealNode, type RealNode } from './real-node.js';
import { kubectlAt, SKIFF_BIN, type KubectlResult } from './server.js';
import { waitFor } from './wait.js';
import { buildTopology, freeOnHost, holdCidrs, pickFree, RecordFile, removeRecorded, sweepDeadRuns, type Topology } from './netns-topology.js';

export interface NetnsClusterOptions {
  /** `skiff agent`s beside the server's own node; default 1. */
  agents?: number;
  /** `--pod-network` for every node (when the flag exists); default: the program's default. */
  podNetwork?: string;
  /** Run the service proxy; default true. false passes `--disable-proxy` where that flag exists. */
  proxy?: boolean;
  /** `--proxy-mode` for every node, where that flag exists. */
  proxyMode?: string;
  serverArgs?: string[];
  agentArgs?: string[];
  /** Wait until every node is Ready with a pod CIDR; default true. */
  waitReady?: boolean;
}

export interface ExecResult extends KubectlResult {}

export interface NetnsNode {
  /** Node 0 is the server. */
  index: number;
  name: string;
  ip: string;
  netns: string;
  dataDir: string;
  bridge: string;
  kubeletPort: number;
  /** Runs a command inside the node's network namespace (see execIn). */
  exec(argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  logs(): string;
}

export interface NetnsAgentNode extends NetnsNode {
  agent: RealAgent;
}

export interface NetnsCluster {
  tag: string;
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string;
  /** The segment the nodes share, and the host's address on it. */
  linkCidr: string;
  hostIP: string;
  kubeconfig: string;
  /** https://<server node IP>:<port> */
  serverUrl: string;
  token: string;
  server: NetnsNode & { real: RealNode };
  agents: NetnsAgentNode[];
  nodes: NetnsNode[];
  topology: Topology;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Runs a command in a node's namespace, by index or name. */
  exec(node: number | string, argv: string[], opts?: { input?: string; timeoutMs?: number }): Promise<ExecResult>;
  /** Tails of every node's logs. */
  logs(): string;
  cleanup(): Promise<void>;
}

/** Why this harness cannot run here, or undefined. */
export function netnsClusterMissing(): string | undefined {
  const why = realNodeMissing();
  if (why) return why;
  for (const bin of ['nsenter', 'ip', 'iptables']) if (spawnSync('which', [bin]).status !== 0) return `${bin} is not installed`;
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'ip netns does not work here';
  return undefined;
}

const helpCache = new Map<string, string>();
/** Whether `skiff <command>` has a flag: the harness passes optional flags only where they exist. */
export function skiffHasFlag(command: 'server' | 'agent', flag: string): boolean {
  let help = helpCache.get(command);
  if (help === undefined) {
    help = spawnSync(process.execPath, [SKIFF_BIN, command, '--help'], { encoding: 'utf8' }).stdout;
    helpCache.set(command, help);
  }
  return new RegExp(`(^|\\s)${flag}(\\s|,|$)`, 'm').test(help);
}

/**
 * Runs a command in a network namespace. nsenter --net rather than `ip netns exec`: that one
 * also enters a private mount namespace (to remount /sys), where unmounting (skiff cleanup)
 * would not reach the host's mounts and cgroups are hidden.
 */
export function execIn(netns: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((res) => {
    const child = execFile(
      'nsenter',
      [`--net=/run/netns/${netns}`, ...argv],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        res({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

// Clusters still alive in this process, for the signal and exit handlers.
const live = new Set<NetnsCluster>();
const records = new Map<NetnsCluster, RecordFile>();
let handlersInstalled = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`netns-cluster: ${signal}: removing ${live.size} test cluster(s)\n`);
    const all = Promise.allSettled([...live].map((c) => c.cleanup()));
    const cap = new Promise((r) => setTimeout(r, 60_000).unref());
    void Promise.race([all, cap]).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Last resort when the process ends without cleanup() having finished: synchronous removal.
  process.once('exit', () => {
    for (const rec of records.values()) {
      removeRecorded(rec.rec);
      rec.remove();
    }
  });
}

export async function startNetnsCluster(opts: NetnsClusterOptions = {}): Promise<NetnsCluster> {
  const why = netnsClusterMissing();
  if (why) throw new Error(`the netns cluster cannot run here: ${why}`);
  sweepDeadRuns();
  installHandlers();
  const agentCount = opts.agents ?? 1;
  const tag = Math.random().toString(36).slice(2, 7).padEnd(5, '0');
  const record = new RecordFile(tag);
  // 10.<160-199>.0.0/16: pod network the lower /17, services the upper, as startRealNode picks.
  const octet = pickFree('cluster /16', 160, 40, (n) => freeOnHost(`10.${n}.0.0/16`));
  const clusterCidr = `10.${octet}.0.0/17`;
  const serviceCidr = `10.${octet}.128.0/17`;
  const clusterDns = `10.${octet}.128.10`;

  const common: string[] = [];
  if (opts.podNetwork && skiffHasFlag('server', '--pod-network')) common.push('--pod-network', opts.podNetwork);
  if (opts.proxy === false && skiffHasFlag('server', '--disable-proxy')) common.push('--disable-proxy');
  if (opts.proxyMode && skiffHasFlag('server', '--proxy-mode')) common.push('--proxy-mode', opts.proxyMode);

  let server: RealNode | undefined;
  const agents: NetnsAgentNode[] = [];
  let cleaned: Promise<void> | undefined;
  let topology: Topology | undefined;
  const cluster = {} as NetnsCluster;
  const cleanup = (): Promise<void> => {
    cleaned ??= (async () => {
      // Agents first (each removes its sandboxes with its own containerd, inside its
      // namespace, so that CNI DEL runs), then the server, then the network and the record.
      await Promise.allSettled(agents.map((a) => a.agent.cleanup()));
      await server?.cleanup().catch(() => {});
      removeRecorded(record.rec);
      record.remove();
      live.delete(cluster);
      records.delete(cluster);
    })();
    return cleaned;
  };
  live.add(cluster);
  records.set(cluster, record);
  try {
    holdCidrs([clusterCidr, serviceCidr], record);
    topology = buildTopology(tag, agentCount + 1, serviceCidr, record);
    const topo = topology;
    const nodeName = (i: number) => `node${i}-${tag}`;
    const bridgeName = (i: number) => `skb${tag}${i}`;
    const kubeletPort = (i: number) => 10250 + i;
    const execOn = (i: number) => (argv: string[], o?: { input?: string; timeoutMs?: number }) => execIn(topo.nodeNs[i]!, argv, o);

    server = await startRealNode(['--node-name', nodeName(0), '--kubelet-port', String(kubeletPort(0)), ...common, ...(opts.serverArgs ?? [])], {
      netns: topo.nodeNs[0],
      bindAddress: topo.nodeIPs[0],
      bridge: bridgeName(0),
      cidrs: { cluster: clusterCidr, service: serviceCidr, dns: clusterDns, podNet: `10.${octet}.` },
    });
    record.add('dataDirs', server.dataDir);
    const realServer = server;
    const kubeconfig = server.kubeconfig;
    const serverUrl = /server: (https:\/\/\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
    const token = readFileSync(join(server.dataDir, 'token'), 'utf8').trim();
    const agentFlags = [...common];
    if (skiffHasFlag('agent', '--cluster-cidr')) agentFlags.push('--cluster-cidr', clusterCidr);
    for (let i = 1; i <= agentCount; i++) {
      const agent = realAgent({
        server: serverUrl,
        token,
        nodeName: nodeName(i),
        nodeIP: topo.nodeIPs[i]!,
        netns: topo.nodeNs[i],
        clusterDns,
        bridge: bridgeName(i),
        kubeletPort: kubeletPort(i),
        extraArgs: [...agentFlags, ...(opts.agentArgs ?? [])],
      });
      record.add('dataDirs', agent.dataDir);
      agents.push({
        index: i,
        name: nodeName(i),
        ip: topo.nodeIPs[i]!,
        netns: topo.nodeNs[i]!,
        dataDir: agent.dataDir,
        bridge: agent.bridge,
        kubeletPort: kubeletPort(i),
        exec: execOn(i),
        logs: () => agent.logs(),
        agent,
      });
    }
    await Promise.all(agents.map((a) => a.agent.start()));
    const serverNode = {
      index: 0,
      name: nodeName(0),
      ip: topo.nodeIPs[0]!,
      netns: topo.nodeNs[0]!,
      dataDir: server.dataDir,
      bridge: server.bridge,
      kubeletPort: kubeletPort(0),
      exec: execOn(0),
      logs: () => realServer.logs(),
      real: realServer,
    };
    const nodes: NetnsNode[] = [serverNode, ...agents];
    const logs = () => nodes.map((n) => `--- ${n.name} (${n.ip}) ---\n${n.logs().slice(-6000)}`).join('\n');
    Object.assign(cluster, {
      tag,
      clusterCidr,
      serviceCidr,
      clusterDns,
      linkCidr: topo.linkCidr,
      hostIP: topo.hostIP,
      kubeconfig,
      serverUrl,
      token,
      server: serverNode,
      agents,
      nodes,
      topology: topo,
      kubectl: kubectlAt(kubeconfig, server.dataDir),
      exec: (node: number | string, argv: string[], o?: { input?: string; timeoutMs?: number }) => {
        const n = typeof node === 'number' ? nodes[node] : nodes.find((x) => x.name === node);
        if (!n) throw new Error(`no node ${node} in this cluster (${nodes.map((x) => x.name).join(', ')})`);
        return n.exec(argv, o);
      },
      logs,
      cleanup,
    } satisfies NetnsCluster);
    if (opts.waitReady !== false) {
      await waitFor(
        `${nodes.length} Ready nodes with pod CIDRs`,
        90_000,
        async () => {
          const r = await cluster.kubectl(['get', 'nodes', '-o', 'json']);
          if (r.code !== 0) return undefined;
          const items = (JSON.parse(r.stdout) as { items: Node[] }).items;
          const ready = items.filter((n) => n.spec?.podCIDR && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
          return ready.length === nodes.length ? true : undefined;
        },
        logs,
        500,
      );
    }
    return cluster;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
