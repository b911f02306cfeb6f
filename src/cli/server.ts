// `skiff server`: opens the store, ensures certificates, starts the API server and the
// in-process controllers, writes the admin kubeconfig, and prints one line when ready.

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { builtinRegistry } from '../api/builtin.js';
import { ApiServer } from '../apiserver/apiserver.js';
import { type AuditFlags, auditorFromFlags } from '../apiserver/audit/setup.js';
import { ensureJoinToken } from '../apiserver/auth/join-token.js';
import { ensureServiceAccountKey } from '../apiserver/auth/service-account-key.js';
import { readTokenFile } from '../apiserver/auth/token-file.js';
import { parseAuthorizationModes } from '../apiserver/auth/union.js';
import { type EncryptionFlags, encryptionFromFlags } from '../apiserver/encryption/setup.js';
import { ApiServerMetrics } from '../apiserver/metrics/index.js';
import { installWorkQueueMetrics } from '../controllers/lib/workqueue-metrics.js';
import { CONTROLLERS, LEADER_ELECTION_DEFAULTS, startLeaderElectedControllers } from '../controllers/manager.js';
import { type ClusterDns, defaultDnsPort, keepKubeDnsService, startClusterDns } from '../dns/index.js';
import { ensureIngressClass } from '../ingress/ingress-class.js';
import { hostNodeName, startInProcessAgents } from '../kubelet/in-process.js';
import { type NodeNetwork, startNodeNetwork } from '../kubelet/network/node-network.js';
import { parsePodNetworkMode } from '../kubelet/network/pod-routes.js';
import { criUnavailableReason, type NodeRuntime, parseRuntimeKind, startNodeRuntime } from '../kubelet/node-runtime.js';
import { parseCapacity } from '../kubelet/simulated-pool.js';
import { startScheduler } from '../scheduler/index.js';
import { caFingerprint, claimClusterRecord, secretHash } from '../storage/cluster-record.js';
import { parseDuration, startCompactor } from '../storage/compactor.js';
import { InstrumentedStore } from '../storage/instrumented-store.js';
import { openStore } from '../storage/open.js';
import { stopChildren } from '../util/children.js';
import { createLogger } from '../util/log.js';
import { ensurePki, writeKubeconfig } from '../util/pki.js';
import { componentClients } from './component-clients.js';
import { labelControlPlaneNode } from './control-plane-labels.js';
import { defaultDataDir } from './data-dir.js';
import { type NodeIngressFlags, startNodeIngress } from './node-ingress.js';
import { startNodeMetrics } from './node-metrics.js';
import { type NodeProxyFlags, startNodeProxy } from './node-proxy.js';

export interface ServerFlags extends NodeProxyFlags, NodeIngressFlags, EncryptionFlags, AuditFlags {
  /** No built-in load balancer (ServiceLB) for LoadBalancer Services. */
  disableServicelb?: boolean;
  dataDir?: string;
  /** SQLite: acknowledge writes before they are on disk. */
  unsafeNoFsync?: boolean;
  /** --enable-priority-and-fairness (default true). */
  enablePriorityAndFairness?: boolean;
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  bindAddress: string;
  httpsPort: number;
  writeKubeconfig?: string;
  datastoreEndpoint?: string;
  disableAgent: boolean;
  disableScheduler?: boolean;
  schedulerConfig?: string;
  token?: string;
  /** --token-auth-file: static bearer tokens. */
  tokenAuthFile?: string;
  /** --service-account-issuer. */
  serviceAccountIssuer?: string;
  /** --authorization-mode: Node,RBAC unless given. */
  authorizationMode?: string;
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string;
  etcdCompactionInterval: string;
  /** --request-timeout, e.g. 60s. */
  requestTimeout?: string;
  advertiseAddress?: string;
  /** Simulated nodes registered in this process. */
  simulatedNodes?: number;
  simulatedNodeCapacity?: string;
  /** --node-monitor-grace-period, e.g. 40s. */
  nodeMonitorGracePeriod?: string;
  /** --horizontal-pod-autoscaler-sync-period, e.g. 15s. */
  horizontalPodAutoscalerSyncPeriod?: string;
  /** Port of the host agent's HTTPS server; default 10250. */
  kubeletPort?: number;
  /** --sync-frequency in ms: the host agent's periodic pod resync; default 1 min. */
  syncFrequency?: number;
  /** The host agent's container runtime: auto (default), cri or simulated. */
  runtime?: string;
  /** An existing CRI socket (unix:///…) instead of a supervised containerd. */
  containerRuntimeEndpoint?: string;
  /** Linux bridge of the pod network (default skiff0). */
  cniBridge?: string;
  /** This host's node name (default: the host name). */
  nodeName?: string;
  /** host-gw (default), vxlan or none. */
  podNetwork?: string;
  /** No kube-dns Service and no DNS listener on this host. */
  disableDns?: boolean;
  /** Default cluster.local. */
  clusterDomain?: string;
  /** This host's DNS listener port (default 53 as root, else 10053). */
  clusterDnsPort?: number;
  /** The node's resolv.conf (default /etc/resolv.conf). */
  resolvConf?: string;
  /** How often the metrics server scrapes the nodes, e.g. 15s. */
  metricsResolution?: string;
  disableMetricsServer?: boolean;
}

/** The bind address when it is a specific one, else this host's first non-loopback IPv4 address. */
export function defaultAdvertiseAddress(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
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
  // Until the full shutdown below is wired, a stop signal ends the children started so far
  // (containerd, image imports) and exits; the locks and ports die with the process.
  let onStop = (signal: NodeJS.Signals) => {
    log.info('stopping during start-up', { signal });
    void stopChildren(3_000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  // One listener for the process's whole life, which hands over to the full shutdown once it
  // is wired: removing a signal's last listener closes libuv's watcher, and a signal it had
  // already caught but not yet dispatched would be dropped (the server then never stopped).
  const onSignal = (signal: NodeJS.Signals) => onStop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const runtimeKind = parseRuntimeKind(flags.runtime ?? 'auto');
  const podNetworkMode = parsePodNetworkMode(flags.podNetwork ?? 'host-gw');
  if (!flags.disableAgent) {
    // Said first, before anything else is printed: a node without real containers surprises people.
    const why = runtimeKind === 'simulated' ? 'asked for with --runtime simulated' : criUnavailableReason({ endpoint: flags.containerRuntimeEndpoint });
    if (why && runtimeKind === 'cri') throw new Error(`--runtime cri cannot run here: ${why}`);
    if (why) {
      process.stderr.write(`skiff server: WARNING: pods on this host run in SIMULATED mode (no container runtime, no process is started): ${why}\n`);
      log.warn('the node agent on this host runs pods in SIMULATED mode', { reason: why });
    }
  }

  const ips = [firstServiceIP(flags.serviceCidr)];
  if (flags.bindAddress !== '0.0.0.0' && flags.bindAddress !== '::') ips.push(flags.bindAddress);
  const pki = await ensurePki(dataDir, { ips });
  const joinToken = ensureJoinToken(dataDir, pki.caCert, flags.token);
  // One /metrics for the apiserver, its store, and the scheduler and controllers in this process.
  const promMetrics = new ApiServerMetrics();
  const store = new InstrumentedStore(await openStore(dataDir, flags.datastoreEndpoint, { unsafeNoFsync: flags.unsafeNoFsync }), promMetrics.registry);
  // A shared datastore (etcd) may already hold a cluster that this server must match.
  if (flags.datastoreEndpoint && /^https?:\/\//.test(flags.datastoreEndpoint))
    await claimClusterRecord(
      store,
      {
        caFingerprint: caFingerprint(pki.caCert),
        joinSecretHash: secretHash(joinToken.secret),
        clusterCIDR: flags.clusterCidr,
        serviceCIDR: flags.serviceCidr,
      },
      flags.datastoreEndpoint,
    ).catch(async (err) => {
      await store.close();
      throw err;
    });
  const registry = builtinRegistry();
  const encryption = encryptionFromFlags(dataDir, flags, store, registry);
  const auditor = auditorFromFlags(flags, (msg) => log.warn(msg));
  const api = new ApiServer({
    store: encryption?.store ?? store,
    encryption: encryption?.service,
    auditor,
    metrics: promMetrics,
    flowControl: {
      enablePriorityAndFairness: flags.enablePriorityAndFairness,
      maxRequestsInflight: flags.maxRequestsInflight,
      maxMutatingRequestsInflight: flags.maxMutatingRequestsInflight,
    },
    registry,
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
    bindAddress: flags.bindAddress,
    port: flags.httpsPort,
    limits: { requestTimeoutMs: parseDuration(flags.requestTimeout ?? '60s') },
    serviceCIDR: flags.serviceCidr,
    nodeJoinSecret: joinToken.secret,
    tokens: flags.tokenAuthFile ? readTokenFile(flags.tokenAuthFile) : undefined,
    authentication: { serviceAccountKey: ensureServiceAccountKey(dataDir), serviceAccountIssuer: flags.serviceAccountIssuer, serviceAccountAdmission: true },
    authorizationModes: parseAuthorizationModes(flags.authorizationMode ?? 'Node,RBAC'),
    kubeletClient: { cert: pki.kubeletClientCert, key: pki.kubeletClientKey },
    advertiseAddress: flags.advertiseAddress ?? defaultAdvertiseAddress(flags.bindAddress),
    log: (msg, fields) => log.error(msg, fields),
  });
  promMetrics.countObjects(registry, store);
  promMetrics.include(installWorkQueueMetrics());
  const port = await api.start();
  const compactor = startCompactor(store, parseDuration(flags.etcdCompactionInterval), (err) => log.error('compaction failed', { error: err.message }));

  const host = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::' ? '127.0.0.1' : flags.bindAddress;
  const serverUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kubeconfig = resolve(flags.writeKubeconfig ?? join(dataDir, 'kubeconfig.yaml'));
  await writeKubeconfig(kubeconfig, { server: serverUrl, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });

  // Each component in this process acts as its own identity (component-clients.ts).
  const clients = componentClients(api);
  // Stable per data dir, so a restarted server takes its own lease back at once.
  const identity = `${hostname()}_${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}`;
  const settings = {
    clusterCIDR: flags.clusterCidr,
    nodeMonitorGracePeriodMs: parseDuration(flags.nodeMonitorGracePeriod ?? '40s'),
    localPathStorageDir: join(dataDir, 'storage'),
    csrSigner: pki.sign,
    rootCA: pki.caCert,
    signLegacyToken: (ns: string, sa: { name: string; uid: string }, secret: string) => api.authn.serviceAccountTokens.issueLegacy(ns, sa, secret),
    hpaSyncPeriodMs: parseDuration(flags.horizontalPodAutoscalerSyncPeriod ?? '15s'),
  };
  const enabled = flags.disableServicelb ? Object.keys(CONTROLLERS).filter((n) => n !== 'servicelb') : undefined;
  if (!flags.disableIngress) await ensureIngressClass(clients.server);
  const controllers = startLeaderElectedControllers(clients.controllerManager, registry, log, { identity, settings, enabled, clientFor: clients.controller });
  // Alone, this server leads at once; beside a live leader it serves without waiting for the lease.
  await Promise.race([controllers.leading(), new Promise((r) => setTimeout(r, 3000).unref())]);
  const scheduler = flags.disableScheduler
    ? undefined
    : startScheduler(clients.scheduler, log.child('scheduler'), {
        configFile: flags.schedulerConfig,
        identity,
        ...LEADER_ELECTION_DEFAULTS,
      });
  if (scheduler) promMetrics.include(scheduler.metrics.registry);

  const advertise = flags.advertiseAddress ?? defaultAdvertiseAddress(flags.bindAddress);
  log.info('agents join with the token stored here', { tokenFile: joinToken.path });
  let nodeRuntime: NodeRuntime | undefined;
  let podNetwork: NodeNetwork | undefined;
  if (!flags.disableAgent) {
    nodeRuntime = await startNodeRuntime({
      kind: runtimeKind,
      endpoint: flags.containerRuntimeEndpoint,
      agentDir: join(dataDir, 'agent'),
      hostIP: advertise,
      log,
      clusterDns: flags.clusterDns,
      clusterDomain: flags.clusterDomain,
      resolvConf: flags.resolvConf,
      bridge: flags.cniBridge,
    });
    if (nodeRuntime.fallbackReason && runtimeKind === 'auto' && !criUnavailableReason({ endpoint: flags.containerRuntimeEndpoint })) {
      process.stderr.write(
        `skiff server: WARNING: pods on this host run in SIMULATED mode (no container runtime, no process is started): ${nodeRuntime.fallbackReason}\n`,
      );
      log.warn('the node agent on this host runs pods in SIMULATED mode', { reason: nodeRuntime.fallbackReason });
    }
    podNetwork = await startNodeNetwork({
      client: clients.node(flags.nodeName ?? hostNodeName()),
      nodeName: flags.nodeName ?? hostNodeName(),
      nodeIP: advertise,
      mode: podNetworkMode,
      clusterCidr: flags.clusterCidr,
      bridge: nodeRuntime.network?.bridge ?? 'skiff0',
      cni: nodeRuntime.network,
      log,
      nodeIPFlag: '--advertise-address',
    }).catch(async (err) => {
      await nodeRuntime?.stop();
      throw err;
    });
    if (nodeRuntime.kind === 'cri')
      log.info('node agent runs pods in real containers', {
        runtime: nodeRuntime.runtime.runtimeVersionString,
        endpoint: flags.containerRuntimeEndpoint ?? nodeRuntime.supervisor?.endpoint,
      });
  }
  const nodeCIDRs = 2 ** Math.max(0, 24 - Number(flags.clusterCidr.split('/')[1]));
  if ((flags.simulatedNodes ?? 0) + (flags.disableAgent ? 0 : 1) > nodeCIDRs)
    log.warn(
      `--cluster-cidr ${flags.clusterCidr} holds ${nodeCIDRs} node pod CIDRs (/24 each): nodes beyond that get none and cannot run pods; use a wider one, e.g. --cluster-cidr 10.0.0.0/8`,
    );
  const agents = await startInProcessAgents({
    clientFor: clients.node,
    log,
    hostAgent: nodeRuntime && {
      nodeName: flags.nodeName,
      internalIP: advertise,
      runtime: nodeRuntime.runtime,
      capacity: nodeRuntime.capacity,
      sandbox: nodeRuntime.sandbox,
      agentDir: join(dataDir, 'agent'),
      syncFrequencyMs: flags.syncFrequency,
      server: {
        clientCA: pki.caCert,
        issueServingCert: pki.issueServingCert,
        port: flags.kubeletPort ?? 10250,
        host: flags.bindAddress,
        fallbackToFreePort: false,
      },
    },
    simulatedNodes: flags.simulatedNodes,
    simulatedCapacity: parseCapacity(flags.simulatedNodeCapacity),
    // Agents in this process renew at least four times per grace period, so a short
    // --node-monitor-grace-period (tests) does not see healthy nodes as silent.
    leaseRenewMs: Math.min(10_000, Math.floor(settings.nodeMonitorGracePeriodMs / 4)),
  });

  // The agent has registered its Node by now (start() awaits it); a failure leaves the node
  // without its role labels, which is said, not fatal.
  if (agents.host)
    await labelControlPlaneNode(clients.server, agents.host.name, log).catch((err: Error) =>
      log.error('could not label this node as the control plane', { node: agents.host?.name, error: err.message }),
    );

  const proxy =
    agents.host &&
    (await startNodeProxy(flags, {
      client: clients.proxy,
      nodeName: agents.host.name,
      nodeIP: advertise,
      runsProcesses: nodeRuntime?.runtime.runsProcesses ?? false,
      clusterCIDR: flags.clusterCidr,
      log,
    }));
  // Cluster DNS: the kube-dns Service for every node, and this host's listener on its node IP.
  const dnsService = flags.disableDns ? undefined : keepKubeDnsService(clients.server, flags.clusterDns, log.child('dns'));
  let dns: ClusterDns | undefined;
  if (!flags.disableDns && agents.host) {
    // A node without its DNS still runs pods: the failure is said loudly, not fatal.
    dns = await startClusterDns({
      client: clients.dns,
      nodeName: agents.host.name,
      listen: [advertise],
      port: flags.clusterDnsPort ?? defaultDnsPort(),
      clusterDomain: flags.clusterDomain,
      resolvConf: flags.resolvConf,
      recursionFrom: [flags.clusterCidr],
      log: log.child('dns'),
    }).catch((err: Error) => {
      log.error('cluster DNS did not start on this node', { error: err.message });
      return undefined;
    });
  }
  // Without a host agent there is no node to serve; explicit ingress ports still start one (tests).
  const ingress =
    agents.host || flags.ingressHttpPort !== undefined
      ? await startNodeIngress(flags, {
          client: clients.ingress,
          nodeName: agents.host?.name ?? hostNodeName(),
          nodeIP: advertise,
          log,
          print: (line) => process.stdout.write(`skiff server: ${line}\n`),
        })
      : undefined;

  const metrics = flags.disableMetricsServer
    ? undefined
    : await startNodeMetrics(api, clients.metrics, { resolution: flags.metricsResolution, kubeletClient: pki, pool: agents.pool, log });

  // From process start, so the figure includes loading the program itself.
  const seconds = process.uptime().toFixed(2);
  process.stdout.write(`skiff server ready at ${serverUrl} in ${seconds}s; kubeconfig: ${kubeconfig}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second signal: stop waiting for the components, end the children now.
      log.info('stopping at once', { signal });
      await stopChildren(1_000);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    log.info('shutting down', { signal });
    metrics?.stop();
    await proxy?.stop();
    await ingress?.stop();
    await dns?.stop().catch((err: Error) => log.error('cluster DNS did not stop cleanly', { error: err.message }));
    await dnsService?.stop();
    agents.stop();
    podNetwork?.stop();
    // The supervised containerd stops; its shims and the containers they run go on (a restarted server finds them).
    await nodeRuntime?.stop().catch((err: Error) => log.error('container runtime did not stop cleanly', { error: err.message }));
    await controllers.stop();
    await scheduler?.stop();
    compactor.stop();
    await api.stop();
    await store.close();
    await stopChildren(3_000);
    process.exit(0);
  };
  onStop = (signal) => void shutdown(signal);
}
