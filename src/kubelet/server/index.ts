// One call that starts a node agent's HTTPS server with the right certificate: signed by
// the cluster CA when the agent runs beside it (in the server process), self-signed when it
// joined from another machine (the apiserver does not verify agents' serving certificates,
// as kube-apiserver without --kubelet-certificate-authority). The node must then report
// the returned port as status.daemonEndpoints.kubeletEndpoint.Port (NodeDescription.kubeletPort).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Registry } from 'prom-client';
import type { Pki } from '../../util/pki.js';
import type { Logger } from '../../util/log.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { DEFAULT_AGENT_PORT, startAgentServer, type AgentServer } from './agent-server.js';
import type { PodLookup } from './pod-lookup.js';
import type { StatsProvider } from '../stats/summary.js';

export type { AgentServer } from './agent-server.js';
export type { PodLookup } from './pod-lookup.js';

export interface NodeAgentServerOptions {
  runtime: ContainerRuntime;
  nodeName: string;
  /** Addresses the apiserver reaches this node at (its InternalIP first); they go into the certificate. */
  addresses: string[];
  /** The cluster CA certificate (PEM): only clients it signed get in. */
  clientCA: string;
  /** The CA's signer when it is at hand (in-process agent); otherwise the certificate is self-signed. */
  issueServingCert?: Pki['issueServingCert'];
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  /**
   * When the port is taken (another agent on this machine, parallel tests), listen on a free
   * one instead of failing; the node reports whichever port it got. Default true.
   */
  fallbackToFreePort?: boolean;
  pods?(): Pod[];
  /** The node agent's Prometheus registry (GET /metrics). */
  metrics?(): Registry | undefined;
  stats?: StatsProvider;
  lookup?: PodLookup;
  log?: Logger;
}

export async function startNodeAgentServer(o: NodeAgentServerOptions): Promise<AgentServer> {
  const names = { hostnames: [o.nodeName, 'localhost'], ips: [...o.addresses, '127.0.0.1'] };
  // The X.509 code is loaded only for a certificate made here, not for one the cluster signs.
  const tls = o.issueServingCert
    ? await o.issueServingCert(o.nodeName, names)
    : await import('../../util/x509-jobs.js').then(({ selfSignedServingCert }) => selfSignedServingCert(o.nodeName, names));
  const base = { runtime: o.runtime, tls, clientCA: o.clientCA, host: o.host, pods: o.pods, metrics: o.metrics, stats: o.stats, lookup: o.lookup, log: o.log };
  const port = o.port ?? DEFAULT_AGENT_PORT;
  try {
    return await startAgentServer({ ...base, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || o.fallbackToFreePort === false || port === 0) {
      const taken =
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? `; port ${port} is taken (another node agent or kubelet on this host?): choose another with --kubelet-port, or --kubelet-port 0 for any free port`
          : '';
      throw new Error(`node agent server cannot listen on ${o.host ?? '0.0.0.0'}:${port}: ${(err as Error).message}${taken}`);
    }
    const server = await startAgentServer({ ...base, port: 0 });
    o.log?.warn('node agent server port in use; listening on a free port instead (the node reports it)', { wanted: port, port: server.port });
    return server;
  }
}
