// N simulated nodes in one process: each a NodeAgent with its own SimulatedRuntime, all
// sharing one pod informer and one node informer (through routers) and spreading their
// heartbeats over the renewal period. Addresses are invented in 198.18.0.0/15, the range
// set aside for benchmarking (RFC 2544): data only, nothing is ever sent to them.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformer } from '../client/informer.js';
import type { Logger } from '../util/log.js';
import { NodeAgent } from './agent.js';
import { goArch } from './node/status.js';
import { agentRouters } from './node/pods-index.js';
import { SimulatedRuntime, SIMULATED_RUNTIME_VERSION } from './runtime/simulated.js';
import { resourceMetricsText, SimulatedStats, type Summary } from './stats/index.js';

export const DEFAULT_SIMULATED_CAPACITY = { cpu: '8', memory: '32Gi', pods: '110' };

/** `cpu=8,memory=32Gi,pods=110` → a capacity map (missing keys take the defaults). */
export function parseCapacity(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = { ...DEFAULT_SIMULATED_CAPACITY };
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0 || i === part.length - 1) throw new Error(`invalid capacity ${JSON.stringify(part)}: want name=quantity, e.g. cpu=8`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** A stable made-up address for simulated node `i`. */
export function simulatedNodeIP(i: number): string {
  const n = i + 1;
  return `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
}

/** The name of simulated node `i` with the default prefix. */
export function simulatedNodeName(i: number, prefix = 'sim-node-'): string {
  return `${prefix}${i}`;
}

export interface SimulatedNodePoolOptions {
  /** Each node's own client (system:node:<name>). */
  clientFor(nodeName: string): Client;
  podInformer: SharedInformer<Pod>;
  nodeInformer: SharedInformer<Node>;
  count: number;
  capacity?: Record<string, string>;
  /** Node names are `${prefix}${i}`; default "sim-node-". */
  prefix?: string;
  labels?: Record<string, string>;
  log: Logger;
  leaseRenewMs?: number;
  /** Pod and node events; default on for up to 100 nodes (beyond, they would triple the writes of a scale test). */
  recordEvents?: boolean;
  /** Registrations in flight at once; default 8. */
  concurrency?: number;
}

export class SimulatedNodePool {
  readonly agents = new Map<string, NodeAgent>();
  private readonly stats = new Map<string, SimulatedStats>();
  private readonly silent = new Set<string>();
  private readonly routers;

  constructor(private readonly opts: SimulatedNodePoolOptions) {
    this.routers = agentRouters(opts.podInformer, opts.nodeInformer);
  }

  /** Registers every node; resolves once all Node objects exist. */
  async start(): Promise<void> {
    const { count, log } = this.opts;
    const prefix = this.opts.prefix ?? 'sim-node-';
    const renew = this.opts.leaseRenewMs ?? 10_000;
    let next = 0;
    const one = async () => {
      for (let i = next++; i < count; i = next++) {
        const name = simulatedNodeName(i, prefix);
        const ip = simulatedNodeIP(i);
        const agent = new NodeAgent({
          client: this.opts.clientFor(name),
          runtime: new SimulatedRuntime({ hostIP: ip }),
          node: {
            name,
            internalIP: ip,
            hostname: name,
            capacity: { ...(this.opts.capacity ?? DEFAULT_SIMULATED_CAPACITY) },
            labels: { type: 'simulated', ...(this.opts.labels ?? {}) },
            osImage: 'Skiff simulated node',
            kernelVersion: 'simulated',
            architecture: goArch(),
            operatingSystem: 'linux',
            containerRuntimeVersion: SIMULATED_RUNTIME_VERSION,
          },
          ...this.routers,
          log,
          leaseRenewMs: renew,
          // A simulated runtime changes nothing behind the agent's back (every change comes
          // with its event), and thousands of pods each resynced once a minute would be its CPU.
          syncFrequencyMs: 0,
          recordEvents: this.opts.recordEvents ?? count <= 100,
          firstRenewDelayMs: Math.floor((renew * i) / Math.max(1, count)),
        });
        await agent.start();
        this.agents.set(name, agent);
        this.stats.set(name, new SimulatedStats(name, () => this.routers.podsOnNode(name)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(count, this.opts.concurrency ?? 8) }, one));
    log.info('simulated nodes registered', { count });
  }

  /** Stops (false) or resumes (true) one node's heartbeats, as if its agent died and came back: a dead agent answers no scrape either. */
  setHeartbeats(name: string, on: boolean): void {
    const a = this.agents.get(name);
    if (!a) throw new Error(`no simulated node ${name}`);
    a.setHeartbeats(on);
    if (on) this.silent.delete(name);
    else this.silent.add(name);
  }

  /** The node's Summary (what its /stats/summary would answer); undefined when it is not one of this pool's. */
  summary(name: string): Summary | undefined {
    return this.stats.get(name)?.summaryNow();
  }

  /**
   * The node's /metrics/resource text, written in this process (simulated nodes have no
   * server); undefined when the node is not one of this pool's. A node whose agent is
   * "dead" never answers, as a hung agent would not.
   */
  resourceMetrics(name: string): Promise<string> | undefined {
    const s = this.stats.get(name);
    if (!s) return undefined;
    if (this.silent.has(name)) return new Promise<string>(() => {});
    return Promise.resolve(resourceMetricsText(s.summaryNow()));
  }

  stop(): void {
    for (const a of this.agents.values()) a.stop();
    this.routers.pods.close();
    this.routers.nodes.close();
  }
}
