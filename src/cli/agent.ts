// `skiff agent`: a node agent in its own process that joins a server. It fetches the
// cluster CA from the server's /cacerts, trusts it only if its hash matches the one in the
// join token, and from then on speaks verified TLS; the token only bootstraps the node's own
// client certificate system:node:<name> (agent-credentials.ts).
import { mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { NodeAgent } from '../kubelet/agent.js';
import { hostDescription, hostNodeName } from '../kubelet/in-process.js';
import { agentRouters } from '../kubelet/node/pods-index.js';
import { realNodeSetup } from '../kubelet/real-node.js';
import { startHostMonitors } from '../kubelet/node/host-monitors.js';
import { startNodeAgentServer } from '../kubelet/server/index.js';
import { nodeStats } from '../kubelet/stats/index.js';
import { parseRuntimeKind, startNodeRuntime } from '../kubelet/node-runtime.js';
import { startNodeNetwork } from '../kubelet/network/node-network.js';
import { parsePodNetworkMode } from '../kubelet/network/pod-routes.js';
import { createLogger } from '../util/log.js';
import { connectAgent, readJoinToken } from './agent-credentials.js';
import { defaultDataDir } from './data-dir.js';
import { startNodeProxy, type NodeProxyFlags } from './node-proxy.js';
import { startNodeIngress, type NodeIngressFlags } from './node-ingress.js';

export interface AgentFlags extends NodeProxyFlags, NodeIngressFlags {
  server: string;
  /** The join token; prefer tokenFile or SKIFF_TOKEN (the command line shows in ps). */
  token?: string;
  tokenFile?: string;
  /** Where the agent's HTTPS server listens; default the node IP. */
  kubeletBindAddress?: string;
  dataDir?: string;
  nodeName?: string;
  nodeIp?: string;
  runtime: string;
  kubeletPort?: number;
  containerRuntimeEndpoint?: string;
  clusterDns?: string;
  cniBridge?: string;
  podNetwork?: string;
  clusterCidr?: string;
  disableDns?: boolean;
  clusterDomain?: string;
  clusterDnsPort?: number;
  /** The node's resolv.conf (default /etc/resolv.conf). */
  resolvConf?: string;
}

function firstIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export async function runAgent(flags: AgentFlags): Promise<void> {
  // A node agent lives long and allocates steadily but little (relists, watch events): a young
  // generation held at its initial size keeps its footprint close to its live data, at the
  // price of more frequent (cheap) scavenges. Read by V8 each time new space would grow.
  setFlagsFromString('--semi-space-growth-factor=1');
  // Nor does it need optimized code: its JS is a relist a second, watch events and the odd pod
  // start, which bytecode and baseline code run at the same idle CPU (one core's 1.7–2.5 %),
  // while TurboFan's compile zones stay in malloc arenas of V8's worker threads, never given
  // back (README: pod-startup, the agent's memory).
  setFlagsFromString('--no-opt');
  const kind = parseRuntimeKind(flags.runtime);
  const podNetworkMode = parsePodNetworkMode(flags.podNetwork ?? 'host-gw');
  const log = createLogger('agent');
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = readJoinToken(flags, (msg) => process.stderr.write(`skiff agent: WARNING: ${msg}\n`));
  const name = flags.nodeName ?? hostNodeName();
  const ip = flags.nodeIp ?? firstIPv4();
  const conn = await connectAgent({ server: flags.server, dataDir, nodeName: name, token, log });
  const { client, ca } = conn;
  const informers = new SharedInformerFactory(client);
  const pods = informers.informerFor(resources.pods, { fieldSelector: `spec.nodeName=${name}` });
  const nodes = informers.informerFor(resources.nodes, { fieldSelector: `metadata.name=${name}` });
  informers.start();
  await informers.waitForSync();
  const nodeRuntime = await startNodeRuntime({
    kind,
    endpoint: flags.containerRuntimeEndpoint,
    agentDir: join(dataDir, 'agent'),
    hostIP: ip,
    log,
    clusterDns: flags.clusterDns,
    clusterDomain: flags.clusterDomain,
    resolvConf: flags.resolvConf,
    bridge: flags.cniBridge,
  });
  if (nodeRuntime.kind === 'simulated') {
    const why = nodeRuntime.fallbackReason ?? 'asked for with --runtime simulated';
    process.stderr.write(`skiff agent: WARNING: pods on this node run in SIMULATED mode (no container runtime, no process is started): ${why}\n`);
    log.warn('pods on this node run in SIMULATED mode', { reason: why });
  }
  const podNetwork = await startNodeNetwork({
    client,
    nodeName: name,
    nodeIP: ip,
    mode: podNetworkMode,
    clusterCidr: flags.clusterCidr ?? '10.42.0.0/16',
    bridge: nodeRuntime.network?.bridge ?? 'skiff0',
    cni: nodeRuntime.network,
    log,
  }).catch(async (err) => {
    await nodeRuntime.stop();
    throw err;
  });
  const agentDir = join(dataDir, 'agent');
  const real = nodeRuntime.runtime.runsProcesses
    ? realNodeSetup({
        client,
        agentDir,
        hostIP: ip,
        capacity: nodeRuntime.capacity,
        log: log.child('volumes'),
        clusterDomain: flags.clusterDomain,
      })
    : undefined;
  const monitors = real ? startHostMonitors({ runtime: nodeRuntime.runtime, agentDir, log: log.child('node-health'), client, nodeName: name }) : undefined;
  const routers = agentRouters(pods, nodes);
  // Signed through kubelet-serving; the agent lets in only clients the cluster CA signed.
  // Served once the agent (whose registry it is) exists.
  let metrics: Registry | undefined;
  const server = await startNodeAgentServer({
    runtime: nodeRuntime.runtime,
    nodeName: name,
    addresses: [ip],
    clientCA: ca,
    issueServingCert: conn.issueServingCert,
    host: flags.kubeletBindAddress ?? ip,
    port: flags.kubeletPort ?? 10250,
    fallbackToFreePort: false,
    pods: () => routers.podsOnNode(name),
    metrics: () => metrics,
    stats: nodeStats({ nodeName: name, runtime: nodeRuntime.runtime, pods: () => routers.podsOnNode(name), fsPath: agentDir }),
    log: log.child('agent-server'),
  });
  conn.rotateServing(server);
  const agent = new NodeAgent({
    client,
    runtime: nodeRuntime.runtime,
    node: {
      ...hostDescription(name, ip, {}, { containerRuntimeVersion: nodeRuntime.runtime.runtimeVersionString, capacity: nodeRuntime.capacity }),
      kubeletPort: server.port,
      ...monitors?.describe,
    },
    ...routers,
    sandbox: nodeRuntime.sandbox,
    containerHooks: real?.hooks,
    onPodChanged: real?.podChanged,
    cleanupOrphanedPods: real?.cleanupOrphanedPods,
    log,
  });
  // The agent runs in a process of its own here: its /metrics carries the process series too.
  collectDefaultMetrics({ register: agent.metrics });
  metrics = agent.metrics;
  await agent.start();
  // The proxy, DNS and ingress act as identities of their own (certificates the node asks
  // for), not as the node, each with its own informers: the node may not watch what they read.
  const proxy = await startNodeProxy(flags, {
    client: () => conn.componentClient('proxy'),
    nodeName: name,
    nodeIP: ip,
    runsProcesses: nodeRuntime.runtime.runsProcesses,
    clusterCIDR: flags.clusterCidr,
    log,
  });
  // This node's DNS listener on its node IP, published in the kube-dns EndpointSlices.
  const dns = flags.disableDns
    ? undefined
    : await Promise.all([conn.componentClient('dns'), import('../dns/index.js')])
        .then(([dnsClient, { defaultDnsPort, startClusterDns }]) =>
          startClusterDns({
            client: dnsClient,
            nodeName: name,
            listen: [ip],
            port: flags.clusterDnsPort ?? defaultDnsPort(),
            clusterDomain: flags.clusterDomain,
            resolvConf: flags.resolvConf,
            recursionFrom: flags.clusterCidr ? [flags.clusterCidr] : undefined,
            log: log.child('dns'),
          }),
        )
        .catch((err: Error) => {
          log.error('cluster DNS did not start on this node', { error: err.message });
          return undefined;
        });
  const ingress = await startNodeIngress(flags, {
    client: () => conn.componentClient('ingress'),
    nodeName: name,
    nodeIP: ip,
    log,
    print: (line) => process.stdout.write(`skiff agent: ${line}\n`),
    tlsSecrets: false,
  });
  process.stdout.write(
    `skiff agent ready: node ${name} joined ${flags.server} (${nodeRuntime.kind === 'cri' ? nodeRuntime.runtime.runtimeVersionString : 'simulated runtime'})\n`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    void proxy?.stop();
    void ingress?.stop();
    // The DNS withdraws its endpoint through the client first (bounded: the server may be gone).
    const dnsStopped = dns ? Promise.race([dns.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]) : Promise.resolve();
    void dnsStopped.then(() => {
      agent.stop();
      podNetwork.stop();
      monitors?.stop();
      real?.stop();
      void server.close();
      informers.stop();
      conn.stop();
      client.close();
      void nodeRuntime.stop().finally(() => process.exit(0));
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
