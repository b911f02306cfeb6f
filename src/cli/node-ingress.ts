// The ingress controller of a node agent (`skiff server` with its host agent, `skiff agent`):
// on unless --disable-ingress. It listens on the node's address and on 127.0.0.1, ports 80
// and 443 where this process may bind them (root, CAP_NET_BIND_SERVICE, or a low
// net.ipv4.ip_unprivileged_port_start), else 8080 and 8443. Ports given by flag that cannot be
// bound stop the program; default ones only warn, since the node is useful without ingress.
import { readFileSync } from 'node:fs';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { IngressController } from '../ingress/index.js';
import type { Logger } from '../util/log.js';

export interface NodeIngressFlags {
  disableIngress?: boolean;
  ingressHttpPort?: number;
  ingressHttpsPort?: number;
}

function mayBindLowPorts(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) <= 80;
  } catch {
    return false;
  }
}

export function defaultIngressPorts(): { http: number; https: number } {
  return mayBindLowPorts() ? { http: 80, https: 443 } : { http: 8080, https: 8443 };
}

export async function startNodeIngress(
  flags: NodeIngressFlags,
  o: {
    /** Or how to get one (a joined agent asks for the ingress's own certificate only when it runs one). */
    client: Client | (() => Promise<Client>);
    nodeName: string;
    nodeIP: string;
    log: Logger;
    informers?: SharedInformerFactory;
    print: (line: string) => void;
    /** False where the process acts as its node (a joined agent): no Secrets to read. */
    tlsSecrets?: boolean;
  },
): Promise<IngressController | undefined> {
  if (flags.disableIngress) return undefined;
  const defaults = defaultIngressPorts();
  const explicit = flags.ingressHttpPort !== undefined || flags.ingressHttpsPort !== undefined;
  const addresses = [...new Set([o.nodeIP, '127.0.0.1'])];
  try {
    // Loaded only for a node that runs one: a node agent started without it carries none of it.
    const { startIngress } = await import('../ingress/index.js');
    const ingress = await startIngress({
      client: typeof o.client === 'function' ? await o.client() : o.client,
      nodeName: o.nodeName,
      nodeIPs: addresses,
      statusIPs: [o.nodeIP],
      httpPort: flags.ingressHttpPort ?? defaults.http,
      httpsPort: flags.ingressHttpsPort ?? defaults.https,
      log: o.log.child('ingress'),
      informers: o.informers,
      tlsSecrets: o.tlsSecrets,
      // ingress-nginx's metrics port; a free one when the test gave port 0 for HTTP.
      metricsPort: flags.ingressHttpPort === 0 ? 0 : 10254,
    });
    o.print(
      `ingress listening on ${ingress.listening.map((l) => `${l.proto}://${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`).join(' ')}${ingress.metricsPort !== undefined ? ` metrics http://127.0.0.1:${ingress.metricsPort}/metrics` : ''}`,
    );
    return ingress;
  } catch (err) {
    if (explicit) throw err;
    o.log.warn('no ingress on this node: its default ports cannot be opened (give --ingress-http-port / --ingress-https-port, or --disable-ingress)', {
      error: (err as Error).message,
    });
    return undefined;
  }
}
