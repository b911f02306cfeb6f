// `skiff server`: opens the store, ensures certificates, starts the API server and the
// in-process controllers, writes the admin kubeconfig, and prints one line when ready.
import { mkdirSync } from 'node:fs';
import { homedir, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { builtinRegistry } from '../api/builtin.js';
import { ApiServer } from '../apiserver/apiserver.js';
import { ensurePki, writeKubeconfig } from '../apiserver/auth/pki.js';
import { Client } from '../client/client.js';
import { startControllers } from '../controllers/manager.js';
import { startCompactor, parseDuration } from '../storage/compactor.js';
import { openStore } from '../storage/open.js';
import { createLogger } from './log.js';

export interface ServerFlags {
  dataDir?: string;
  bindAddress: string;
  httpsPort: number;
  writeKubeconfig?: string;
  datastoreEndpoint?: string;
  disableAgent: boolean;
  token?: string;
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string;
  etcdCompactionInterval: string;
  advertiseAddress?: string;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/skiff' : join(homedir(), '.local', 'share', 'skiff');
}

/** The bind address when it is a specific one, else this host's first non-loopback IPv4 address. */
export function defaultAdvertiseAddress(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  for (const addrs of Object.values(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** The first address of a CIDR plus one: the `kubernetes` Service's cluster IP. */
export function firstServiceIP(cidr: string): string {
  const [base] = cidr.split('/');
  const parts = base!.split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

export async function runServer(flags: ServerFlags): Promise<void> {
  const log = createLogger('server');
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const ips = [firstServiceIP(flags.serviceCidr)];
  if (flags.bindAddress !== '0.0.0.0' && flags.bindAddress !== '::') ips.push(flags.bindAddress);
  const pki = await ensurePki(dataDir, { ips });
  const store = openStore(dataDir, flags.datastoreEndpoint);
  const registry = builtinRegistry();
  const api = new ApiServer({
    store,
    registry,
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    bindAddress: flags.bindAddress,
    port: flags.httpsPort,
    serviceCIDR: flags.serviceCidr,
    advertiseAddress: flags.advertiseAddress ?? defaultAdvertiseAddress(flags.bindAddress),
    log: (msg, fields) => log.error(msg, fields),
  });
  const port = await api.start();
  const compactor = startCompactor(store, parseDuration(flags.etcdCompactionInterval), (err) => log.error('compaction failed', { error: err.message }));

  const host = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::' ? '127.0.0.1' : flags.bindAddress;
  const serverUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = resolve(flags.writeKubeconfig ?? join(dataDir, 'kubeconfig.yaml'));
  await writeKubeconfig(kubeconfig, { server: serverUrl, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });

  const client = new Client(api.transport());
  const controllers = await startControllers(client, registry, log);

  if (!flags.disableAgent) log.warn('the node agent is not available yet in this build; running the control plane only');

  // From process start, so the figure includes loading the program itself.
  const seconds = process.uptime().toFixed(2);
  process.stdout.write(`skiff server ready at ${serverUrl} in ${seconds}s; kubeconfig: ${kubeconfig}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    controllers.stop();
    compactor.stop();
    await api.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
