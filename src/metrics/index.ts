// The built-in metrics component (Skiff's metrics-server): watches nodes and pods, scrapes
// every node's /metrics/resource each resolution, and serves metrics.k8s.io/v1beta1
// through the apiserver as an aggregated API.
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { MetricsApi } from './api.js';
import { Scraper } from './scraper.js';
import type { NodeMetricsSource } from './sources.js';
import { UsageStore } from './usage-store.js';

export { MetricsApi } from './api.js';
export { combinedSource, httpsSource, type NodeMetricsSource } from './sources.js';

export const DEFAULT_METRICS_RESOLUTION_MS = 15_000;

export interface MetricsServerOptions {
  client: Client;
  source: NodeMetricsSource;
  resolutionMs?: number;
  /** Per-node scrape deadline; default 90 % of the resolution, at most 10 s. */
  timeoutMs?: number;
  log: Logger;
  /** Start the scrape loop; default true (benchmarks drive cycles themselves). */
  loop?: boolean;
}

export interface MetricsServer {
  readonly api: MetricsApi;
  readonly scraper: Scraper;
  stop(): void;
}

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const informers = new SharedInformerFactory(o.client);
  const nodes = informers.informerFor(resources.nodes);
  const pods = informers.informerFor(resources.pods);
  informers.start();
  await informers.waitForSync();
  const store = new UsageStore();
  const resolutionMs = o.resolutionMs ?? DEFAULT_METRICS_RESOLUTION_MS;
  const scraper = new Scraper({ nodes: () => nodes.store.list(), source: o.source, store, resolutionMs, timeoutMs: o.timeoutMs, log: o.log });
  const api = new MetricsApi({
    store,
    node: (name) => nodes.get(name),
    nodes: () => nodes.store.list(),
    pod: (namespace, name) => pods.get(name, namespace),
  });
  if (o.loop !== false) scraper.start();
  return {
    api,
    scraper,
    stop() {
      scraper.stop();
      informers.stop();
    },
  };
}
