// The service proxy's metrics (one registry, so that a /metrics endpoint can serve it).
import { Counter, Histogram, Registry } from 'prom-client';

export const proxyRegistry = new Registry();

export const syncFailures = new Counter({
  name: 'skiff_proxy_sync_failures_total',
  help: 'Proxy rule syncs that failed (each is retried with back-off), by mode.',
  labelNames: ['mode'] as const,
  registers: [proxyRegistry],
});

export const skippedServicePorts = new Counter({
  name: 'skiff_proxy_skipped_service_ports_total',
  help: 'Service ports left out of a sync because their rules were rejected, by mode.',
  labelNames: ['mode'] as const,
  registers: [proxyRegistry],
});

export const syncDuration = new Histogram({
  name: 'skiff_proxy_sync_duration_seconds',
  help: 'Time one proxy rule sync took, by mode and kind (partial, full).',
  labelNames: ['mode', 'kind'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [proxyRegistry],
});
