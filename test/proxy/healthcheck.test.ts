// healthCheckNodePort servers answer as kube-proxy's do: 200 with the local endpoint count
// while this node has one, 503 otherwise; they close when the Service no longer needs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { HealthCheckServers } from '../../src/proxy/healthcheck.js';
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../../src/proxy/types.js';
import { ep, port } from './fixtures.js';

const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

function snap(entries: [ServicePortInfo, EndpointInfo[]][]): ProxySnapshot {
  return { nodeName: 'n1', nodeIPs: [], services: new Map(entries.map(([s]) => [s.key, s])), endpoints: new Map(entries.map(([s, e]) => [s.key, e])) };
}

test('health check node port: 200 with the local endpoint count, 503 without one, closed when no longer needed', async () => {
  const hc = await freePort();
  const servers = new HealthCheckServers(quiet, '127.0.0.1');
  const svc = port('ns', 'lb', 'http', { nodePort: 30080, externalTrafficPolicyLocal: true, healthCheckNodePort: hc });
  try {
    servers.update(snap([[svc, [ep('10.42.0.5', 80, { isLocal: true }), ep('10.42.0.6', 80, { isLocal: true }), ep('10.42.1.5', 80)]]]));
    await new Promise((r) => setTimeout(r, 50));
    let r = await fetch(`http://127.0.0.1:${hc}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(await r.json(), { service: { namespace: 'ns', name: 'lb' }, localEndpoints: 2, serviceProxyHealthy: true });

    servers.update(snap([[svc, [ep('10.42.1.5', 80)]]]));
    r = await fetch(`http://127.0.0.1:${hc}/`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { localEndpoints: number }).localEndpoints, 0);

    servers.update(snap([]));
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(fetch(`http://127.0.0.1:${hc}/`, { signal: AbortSignal.timeout(2000) }));
  } finally {
    servers.close();
  }
});
