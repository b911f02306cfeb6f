// Node agents living in the server process: the agent for this host (on the runtime the
// server chose for it: CRI or simulated) and any number of simulated nodes, all sharing
// one pod informer and one node informer. Each acts as its own node (system:node:<name>),
// so the Node authorizer and NodeRestriction hold it as they hold a joined agent.
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { NodeAgent } from './agent.js';
import { goArch, type NodeDescription } from './node/status.js';
import { hostCapacity } from './node/host-capacity.js';
import { agentRouters } from './node/pods-index.js';
import { SimulatedRuntime, SIMULATED_RUNTIME_VERSION } from './runtime/simulated.js';
import { SimulatedNodePool, simulatedNodeName } from './simulated-pool.js';
import type { ContainerRuntime } from './runtime/types.js';
import type { SandboxConfigOptions } from './pod/sandbox-config.js';
import type { Pki } from '../util/pki.js';
import { realNodeSetup } from './real-node.js';
import { startHostMonitors } from './node/host-monitors.js';
import { startNodeAgentServer } from './server/index.js';
import { nodeStats } from './stats/index.js';

export interface InProcessAgentsOptions {
  /** The client of the node named (its own identity); the shared pod and node informers use the first node's. */
  clientFor(nodeName: string): Client;
  log: Logger;
  /** Run an agent for this host. */
  hostAgent?: {
    nodeName?: string;
    internalIP: string;
    labels?: Record<string, string>;
    /** Default: a simulated runtime. */
    runtime?: ContainerRuntime;
    /** Default: CPUs, memory and 110 pods. */
    capacity?: Record<string, string>;
    sandbox?: SandboxConfigOptions;
    /** DATA_DIR/agent, for a runtime that runs processes: where pods' volumes are prepared. */
    agentDir?: string;
    /** --sync-frequency in ms (see NodeAgentOptions.syncFrequencyMs); default 1 min. */
    syncFrequencyMs?: number;
    /** The agent's HTTPS server (logs, exec, port-forward); none when absent. */
    server?: { clientCA: string; issueServingCert?: Pki['issueServingCert']; port?: number; host?: string; fallbackToFreePort?: boolean };
  };
  simulatedNodes?: number;
  simulatedCapacity?: Record<string, string>;
  /** Lease renewal period of these agents; default 10 s. */
  leaseRenewMs?: number;
}

export interface InProcessAgents {
  host?: NodeAgent;
  pool?: SimulatedNodePool;
  stop(): void;
}

export function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    /* not Linux, or no os-release */
  }
  return process.platform;
}

/** A node name from the host name: lower case, DNS-1123. */
export function hostNodeName(): string {
  return (
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'localhost'
  );
}

/** This machine as a Node: its CPUs, memory and OS. */
export function hostDescription(
  name: string,
  internalIP: string,
  labels: Record<string, string> = {},
  runtime: { containerRuntimeVersion?: string; capacity?: Record<string, string> } = {},
): NodeDescription {
  return {
    name,
    internalIP,
    hostname: name,
    capacity: runtime.capacity ?? hostCapacity(),
    labels,
    osImage: osImage(),
    kernelVersion: release(),
    architecture: goArch(),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
    containerRuntimeVersion: runtime.containerRuntimeVersion ?? SIMULATED_RUNTIME_VERSION,
  };
}

export async function startInProcessAgents(opts: InProcessAgentsOptions): Promise<InProcessAgents> {
  const hostName = opts.hostAgent ? (opts.hostAgent.nodeName ?? hostNodeName()) : undefined;
  // Every node may list and watch all pods and nodes (system:node's rules): one node's client serves the shared informers.
  const informers = new SharedInformerFactory(opts.clientFor(hostName ?? simulatedNodeName(0)));
  const podInformer = informers.informerFor(resources.pods);
  const nodeInformer = informers.informerFor(resources.nodes);
  informers.start();
  await informers.waitForSync();
  const result: InProcessAgents = {
    stop() {
      result.host?.stop();
      result.pool?.stop();
      informers.stop();
    },
  };
  if (opts.hostAgent && hostName) {
    const name = hostName;
    const client = opts.clientFor(name);
    const routers = agentRouters(podInformer, nodeInformer);
    const h = opts.hostAgent;
    const runtime = h.runtime ?? new SimulatedRuntime({ hostIP: h.internalIP });
    const node = hostDescription(name, h.internalIP, h.labels, { containerRuntimeVersion: runtime.runtimeVersionString, capacity: h.capacity });
    const real =
      runtime.runsProcesses && h.agentDir
        ? realNodeSetup({
            client,
            agentDir: h.agentDir,
            hostIP: h.internalIP,
            capacity: node.capacity,
            log: opts.log.child('volumes'),
            clusterDomain: h.sandbox?.clusterDomain,
          })
        : undefined;
    // Pressure conditions and image GC watch this host only when pods really run on it.
    const monitors = real ? startHostMonitors({ runtime, agentDir: h.agentDir!, log: opts.log.child('node-health'), client, nodeName: name }) : undefined;
    const server =
      h.server &&
      (await startNodeAgentServer({
        runtime,
        nodeName: name,
        addresses: [h.internalIP],
        ...h.server,
        pods: () => routers.podsOnNode(name),
        metrics: () => result.host?.metrics,
        stats: nodeStats({ nodeName: name, runtime, pods: () => routers.podsOnNode(name), fsPath: h.agentDir }),
        log: opts.log.child('agent-server'),
      }));
    if (server || monitors || real) {
      const stopAll = result.stop;
      result.stop = () => {
        stopAll();
        real?.stop();
        monitors?.stop();
        void server?.close();
      };
    }
    result.host = new NodeAgent({
      client,
      runtime,
      node: { ...node, kubeletPort: server?.port, ...monitors?.describe },
      sandbox: h.sandbox,
      containerHooks: real?.hooks,
      onPodChanged: real?.podChanged,
      cleanupOrphanedPods: real?.cleanupOrphanedPods,
      ...routers,
      log: opts.log.child('agent'),
      leaseRenewMs: opts.leaseRenewMs,
      syncFrequencyMs: h.syncFrequencyMs,
    });
    await result.host.start();
  }
  if (opts.simulatedNodes && opts.simulatedNodes > 0) {
    result.pool = new SimulatedNodePool({
      clientFor: opts.clientFor,
      podInformer,
      nodeInformer,
      count: opts.simulatedNodes,
      capacity: opts.simulatedCapacity,
      log: opts.log.child('simulated-nodes'),
      leaseRenewMs: opts.leaseRenewMs,
    });
    await result.pool.start();
  }
  return result;
}
