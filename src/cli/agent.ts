// `skiff agent`: a node agent in its own process that joins a server. It fetches the
// cluster CA from the server's /cacerts, trusts it only if its hash matches the one in the
// join token, and from then on speaks verified TLS, authenticating as system:node:<name>.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { setFlagsFromString } from 'node:v8';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { nodeBearerToken, parseJoinToken } from '../apiserver/auth/node-token.js';
import { Client } from '../client/client.js';
import { HttpsTransport } from '../client/https-transport.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { NodeAgent } from '../kubelet/agent.js';
import { hostDescription, hostNodeName } from '../kubelet/in-process.js';
import { agentRouters } from '../kubelet/node/pods-index.js';
import { realNodeSetup } from '../kubelet/real-node.js';
import { startHostMonitors } from '../kubelet/node/host-monitors.js';
import { startNodeAgentServer } from '../kubelet/server/index.js';
import { parseRuntimeKind, startNodeRuntime } from '../kubelet/node-runtime.js';
import { startNodeNetwork } from '../kubelet/network/node-network.js';
import { parsePodNetworkMode } from '../kubelet/network/pod-routes.js';
import { defaultDnsPort, startClusterDns } from '../dns/index.js';
import { createLogger } from '../util/log.js';
import { defaultDataDir } from './data-dir.js';
import { startNodeProxy, type NodeProxyFlags } from './node-proxy.js';
import { startNodeIngress, type NodeIngressFlags } from './node-ingress.js';

export interface AgentFlags extends NodeProxyFlags, NodeIngressFlags {
  server: string;
  token: string;
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

/** GET /cacerts without verifying the server: what comes back is checked against the token's hash. */
function fetchCA(server: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = https.get(new URL('/cacerts', server), { rejectUnauthorized: false, timeout: 10_000 }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => (r.statusCode === 200 ? res(body) : rej(new Error(`GET /cacerts answered ${r.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET /cacerts timed out')));
    req.on('error', rej);
  });
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
  const kind = parseRuntimeKind(flags.runtime);
  const podNetworkMode = parsePodNetworkMode(flags.podNetwork ?? 'host-gw');
  const log = createLogger('agent');
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { caHash, secret } = parseJoinToken(flags.token);
  if (!caHash) throw new Error("the token carries no CA hash (want K10<hash>::server:<secret>, as in the server's DATA_DIR/token)");
  const ca = await fetchCA(flags.server);
  if (createHash('sha256').update(ca).digest('hex') !== caHash) throw new Error(`the CA served by ${flags.server} does not match the hash in the token`);
  writeFileSync(join(dataDir, 'server-ca.crt'), ca);

  const name = flags.nodeName ?? hostNodeName();
  const ip = flags.nodeIp ?? firstIPv4();
  const client = new Client(new HttpsTransport({ server: flags.server, ca, token: nodeBearerToken(name, secret), userAgent: `skiff-agent/${name}` }));
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
    ? realNodeSetup({ client, informers, agentDir, hostIP: ip, capacity: nodeRuntime.capacity, log: log.child('volumes'), clusterDomain: flags.clusterDomain })
    : undefined;
  const monitors = real ? startHostMonitors({ runtime: nodeRuntime.runtime, agentDir, log: log.child('node-health'), client, nodeName: name }) : undefined;
  const routers = agentRouters(pods, nodes);
  // Self-signed: the apiserver does not verify agents' serving certificates; the agent
  // lets in only clients the cluster CA signed for the apiserver.
  // Served once the agent (whose registry it is) exists.
  let metrics: Registry | undefined;
  const server = await startNodeAgentServer({
    runtime: nodeRuntime.runtime,
    nodeName: name,
    addresses: [ip],
    clientCA: ca,
    port: flags.kubeletPort ?? 10250,
    fallbackToFreePort: false,
    pods: () => routers.podsOnNode(name),
    metrics: () => metrics,
    log: log.child('agent-server'),
  });
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
  const proxy = await startNodeProxy(flags, {
    client,
    nodeName: name,
    nodeIP: ip,
    runsProcesses: nodeRuntime.runtime.runsProcesses,
    clusterCIDR: flags.clusterCidr,
    log,
    informers,
  });
  // This node's DNS listener on its node IP, published in the kube-dns EndpointSlices.
  const dns = flags.disableDns
    ? undefined
    : await startClusterDns({
        client,
        nodeName: name,
        listen: [ip],
        port: flags.clusterDnsPort ?? defaultDnsPort(),
        clusterDomain: flags.clusterDomain,
        resolvConf: flags.resolvConf,
        recursionFrom: flags.clusterCidr ? [flags.clusterCidr] : undefined,
        log: log.child('dns'),
      }).catch((err: Error) => {
        log.error('cluster DNS did not start on this node', { error: err.message });
        return undefined;
      });
  const ingress = await startNodeIngress(flags, {
    client,
    nodeName: name,
    nodeIP: ip,
    log,
    informers,
    print: (line) => process.stdout.write(`skiff agent: ${line}\n`),
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
      void server.close();
      informers.stop();
      client.close();
      void nodeRuntime.stop().finally(() => process.exit(0));
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
