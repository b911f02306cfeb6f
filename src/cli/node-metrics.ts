// The built-in metrics server in `skiff server`: scrapes agents over HTTPS with the
// apiserver's kubelet-client certificate, and this process's simulated nodes directly
// (they have no server); serves metrics.k8s.io through the apiserver.
import type { ApiServer } from '../apiserver/apiserver.js';
import type { Client } from '../client/client.js';
import type { SimulatedNodePool } from '../kubelet/simulated-pool.js';
import { combinedSource, httpsSource, startMetricsServer } from '../metrics/index.js';
import { parseDuration } from '../storage/compactor.js';
import type { Logger } from '../util/log.js';

export async function startNodeMetrics(
  api: ApiServer,
  client: Client,
  o: { resolution?: string; kubeletClient: { kubeletClientCert: string; kubeletClientKey: string }; pool?: SimulatedNodePool; log: Logger },
): Promise<{ stop(): void }> {
  const resolutionMs = parseDuration(o.resolution ?? '15s');
  if (!(resolutionMs > 0)) throw new Error(`--metrics-resolution ${o.resolution}: want a positive duration such as 15s`);
  const remote = httpsSource({ cert: o.kubeletClient.kubeletClientCert, key: o.kubeletClient.kubeletClientKey });
  const pool = o.pool;
  const source = pool ? combinedSource((name) => pool.resourceMetrics(name), remote) : remote;
  const server = await startMetricsServer({ client, source, resolutionMs, log: o.log.child('metrics') });
  api.addAggregatedApi(server.api);
  return {
    stop() {
      server.stop();
      remote.close();
    },
  };
}
