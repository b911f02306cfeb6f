// The `skiff` command. Flag names follow k3s where k3s has one.
import { Command, Option } from 'commander';
import { stopChildren } from '../util/children.js';
import { parseGoDuration } from '../util/go-duration.js';

const program = new Command();
program.name('skiff').description('Kubernetes in one program: API server, store, controllers, node agent.');

program
  .command('server')
  .description('run the control plane (and, unless --disable-agent, a node agent on this host)')
  .option('--data-dir <dir>', 'state directory (default /var/lib/skiff as root, else ~/.local/share/skiff)')
  .option('--bind-address <addr>', 'address the API server listens on', '0.0.0.0')
  .option('--advertise-address <addr>', "address agents and pods reach the API server at (default: the bind address, or this host's first IPv4 address)")
  .option('--https-port <port>', 'port the API server listens on', (v) => parsePort(v), 6443)
  .option('--write-kubeconfig <file>', 'where to write the admin kubeconfig (default DATA_DIR/kubeconfig.yaml)')
  .option('--datastore-endpoint <url>', 'store: empty for the embedded SQLite database')
  .option(
    '--unsafe-no-fsync',
    'SQLite: acknowledge writes before they are on disk (they survive a killed process, not a power cut), as etcd --unsafe-no-fsync',
    false,
  )
  .option('--disable-agent', 'run no node agent in this process', false)
  .option('--node-name <name>', "name of this host's node (default: the host name)")
  .option('--disable-scheduler', 'run no scheduler in this process', false)
  .option('--scheduler-config <file>', 'KubeSchedulerConfiguration file: profiles, plugins, weights')
  .option('--request-timeout <duration>', 'how long a request (headers and body) may take to arrive, as kube-apiserver', '60s')
  .option('--etcd-compaction-interval <duration>', 'how often history older than the previous interval is dropped (as kube-apiserver)', '5m')
  .option('--token <token>', 'shared secret that agents join with (generated if absent)')
  .option('--secrets-encryption', 'encrypt Secrets at rest with a generated AES-CBC key (DATA_DIR/cred/encryption-config.json)', false)
  .option('--audit-policy-file <file>', 'audit Policy (audit.k8s.io/v1): which requests are audited, at which level')
  .option('--audit-log-path <file>', 'where audit events are written as JSON lines (- for standard output)')
  .option('--audit-log-maxsize <MB>', 'size at which the audit log is rotated (0: never)', (v) => parseCount(v), 100)
  .option('--audit-log-maxbackup <n>', 'rotated audit logs kept (0: all)', (v) => parseCount(v), 10)
  .option('--audit-log-maxage <days>', 'days a rotated audit log is kept (0: forever)', (v) => parseCount(v), 0)
  .option('--enable-priority-and-fairness <bool>', 'API Priority and Fairness; false: the max-inflight limits alone', (v) => parseBool(v), true)
  .option('--max-requests-inflight <n>', 'read-only requests in flight at once (with APF: part of the total concurrency limit)', (v) => parseCount(v), 400)
  .option(
    '--max-mutating-requests-inflight <n>',
    'mutating requests in flight at once (with APF: part of the total concurrency limit)',
    (v) => parseCount(v),
    200,
  )
  .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1): which resources are encrypted at rest, and how')
  .option('--token-auth-file <file>', 'static bearer tokens: CSV lines token,user,uid,"group1,group2" (as kube-apiserver)')
  .option(
    '--service-account-issuer <url>',
    'issuer (iss) of service-account tokens and of the discovery document',
    'https://kubernetes.default.svc.cluster.local',
  )
  .option('--authorization-mode <modes>', 'authorizers asked in order, comma-separated: Node, RBAC, AlwaysAllow, AlwaysDeny', 'Node,RBAC')
  .addOption(new Option('--cluster-cidr <cidr>', 'pod network').default('10.42.0.0/16'))
  .addOption(new Option('--service-cidr <cidr>', 'service network').default('10.43.0.0/16'))
  .addOption(new Option('--cluster-dns <ip>', 'cluster DNS service IP').default('10.43.0.10'))
  .option('--simulated-nodes <n>', 'also register N simulated nodes (no processes; for tests and scale)', (v) => parseCount(v), 0)
  .option('--simulated-node-capacity <list>', 'capacity of each simulated node', 'cpu=8,memory=32Gi,pods=110')
  .option('--node-monitor-grace-period <duration>', 'how long a node may go without heartbeats before it is marked unhealthy', '40s')
  .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often each HorizontalPodAutoscaler is evaluated', '15s')
  .option(
    '--runtime <kind>',
    "container runtime of this host's node agent: auto (cri when root with containerd, runc and CNI plugins installed, else simulated), cri, simulated",
    'auto',
  )
  .option('--container-runtime-endpoint <url>', 'use this CRI socket (unix:///…) instead of starting containerd')
  .option('--cni-bridge <name>', 'Linux bridge of the pod network', 'skiff0')
  .option('--pod-network <mode>', "how pods reach other nodes' pods: host-gw (routes via node addresses; nodes share a link), vxlan, none", 'host-gw')
  .option('--kubelet-port <port>', "port of the node agent's HTTPS server (logs, exec, port-forward); 0 picks a free one", (v) => parseCount(v), 10250)
  .option(
    '--sync-frequency <duration>',
    "how long after its last sync each running pod is synced again (jittered up to half more), as the kubelet's; 0: never",
    (v) => parseSyncFrequency(v),
    60_000,
  )
  .option('--proxy-mode <mode>', 'service proxy mode: iptables, nftables or userspace (default iptables as root, else userspace)')
  .option('--iptables-backend <kind>', 'iptables the iptables proxy mode drives: auto (the one already holding rules, else nft), legacy, nft', 'auto')
  .option('--disable-proxy', 'run no service proxy on this node', false)
  .option('--disable-servicelb', 'run no built-in load balancer for LoadBalancer Services', false)
  .option('--disable-dns', 'run no cluster DNS (no kube-dns Service, no DNS listener on this node)', false)
  .option('--cluster-domain <domain>', "the cluster's DNS domain", 'cluster.local')
  .option('--cluster-dns-port <port>', "port of this node's DNS listener on its node IP (default 53 as root, else 10053; a free one when taken)", (v) =>
    parsePort(v),
  )
  .option('--resolv-conf <file>', "the node's resolv.conf: upstream nameservers of the cluster DNS, and what dnsPolicy Default pods get", '/etc/resolv.conf')
  .option('--disable-ingress', 'run no ingress controller on this node (the server then creates no IngressClass skiff)', false)
  .option('--metrics-resolution <duration>', "how often the built-in metrics server scrapes every node's resource metrics (kubectl top, HPA)", '15s')
  .option('--disable-metrics-server', 'serve no metrics.k8s.io API (kubectl top and HPAs then have no figures)', false)
  .option('--ingress-http-port <port>', 'HTTP port of the ingress controller (default 80 where this process may bind it, else 8080)', (v) => parseCount(v))
  .option('--ingress-https-port <port>', 'HTTPS port of the ingress controller (default 443 where this process may bind it, else 8443)', (v) => parseCount(v))
  .action(async (opts) => {
    try {
      // Loaded on demand, so that `skiff agent` carries none of the control plane in memory.
      const { runServer } = await import('./server.js');
      await runServer(opts);
    } catch (err) {
      process.stderr.write(`skiff server: ${(err as Error).message}\n`);
      // A start-up that failed half-way (say, an image import after containerd started) leaves no child behind.
      await stopChildren(3_000);
      process.exit(1);
    }
  });

function parseBool(v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`invalid boolean: ${v} (true or false)`);
}

/** A Go duration (the kubelet's flag syntax) in milliseconds. */
function parseSyncFrequency(v: string): number {
  const ms = parseGoDuration(v) / 1e6;
  if (ms < 0) throw new Error(`invalid --sync-frequency: ${v} (a duration such as 1m or 30s, at least 0)`);
  return ms;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid count: ${v}`);
  return n;
}

program
  .command('agent')
  .description('run a node agent that joins a server')
  .requiredOption('--server <url>', 'the server to join, e.g. https://HOST:6443')
  .option('--token-file <file>', 'file holding the join token (DATA_DIR/token on the server); or set SKIFF_TOKEN. Needed until the node has its certificate')
  .option('--token <token>', 'join token on the command line (visible in ps: prefer --token-file or SKIFF_TOKEN)')
  .option('--data-dir <dir>', "state directory (default /var/lib/skiff as root, else ~/.local/share/skiff; the agent's files go under DATA_DIR/agent)")
  .option('--node-name <name>', 'name of this node (default: the host name)')
  .option('--node-ip <ip>', "the address this node reports as InternalIP (default: this host's first IPv4 address)")
  .option('--runtime <kind>', 'container runtime: auto (cri when root with containerd, runc and CNI plugins installed, else simulated), cri, simulated', 'auto')
  .option('--container-runtime-endpoint <url>', 'use this CRI socket (unix:///…) instead of starting containerd')
  .option('--cluster-dns <ip>', "cluster DNS service IP written into pods' resolv.conf", '10.43.0.10')
  .option('--cni-bridge <name>', 'Linux bridge of the pod network', 'skiff0')
  .option('--pod-network <mode>', "how pods reach other nodes' pods: host-gw (routes via node addresses; nodes share a link), vxlan, none", 'host-gw')
  .option('--cluster-cidr <cidr>', "the server's --cluster-cidr: pod traffic to it is not masqueraded", '10.42.0.0/16')
  .option('--kubelet-port <port>', "port of the node agent's HTTPS server (logs, exec, port-forward); 0 picks a free one", (v) => parseCount(v), 10250)
  .option(
    '--sync-frequency <duration>',
    "how long after its last sync each running pod is synced again (jittered up to half more), as the kubelet's; 0: never",
    (v) => parseSyncFrequency(v),
    60_000,
  )
  .option('--kubelet-bind-address <ip>', "address the node agent's HTTPS server listens on (default: the node IP)")
  .option('--proxy-mode <mode>', 'service proxy mode: iptables, nftables or userspace (default iptables as root, else userspace)')
  .option('--iptables-backend <kind>', 'iptables the iptables proxy mode drives: auto (the one already holding rules, else nft), legacy, nft', 'auto')
  .option('--disable-proxy', 'run no service proxy on this node', false)
  .option('--disable-dns', 'run no cluster DNS listener on this node', false)
  .option('--cluster-domain <domain>', "the cluster's DNS domain", 'cluster.local')
  .option('--cluster-dns-port <port>', "port of this node's DNS listener on its node IP (default 53 as root, else 10053; a free one when taken)", (v) =>
    parsePort(v),
  )
  .option('--resolv-conf <file>', "the node's resolv.conf: upstream nameservers of the cluster DNS, and what dnsPolicy Default pods get", '/etc/resolv.conf')
  .option('--disable-ingress', 'run no ingress controller on this node', false)
  .option('--ingress-http-port <port>', 'HTTP port of the ingress controller (default 80 where this process may bind it, else 8080)', (v) => parseCount(v))
  .option('--ingress-https-port <port>', 'HTTPS port of the ingress controller (default 443 where this process may bind it, else 8443)', (v) => parseCount(v))
  .action(async (opts) => {
    try {
      const { runAgent } = await import('./agent.js');
      await runAgent(opts);
    } catch (err) {
      process.stderr.write(`skiff agent: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

const images = program.command('images').description("manage the images of this node's container runtime");
images
  .command('import')
  .description('load OCI or docker image archives into the containerd of the node agent on this host')
  .argument('<files...>', 'image archives (.tar, .tar.gz)')
  .option('--data-dir <dir>', 'state directory of the server or agent (default /var/lib/skiff as root, else ~/.local/share/skiff)')
  .option('--container-runtime-endpoint <url>', 'containerd socket to import into (default: the one under --data-dir)')
  .action(async (files: string[], opts) => {
    try {
      const { runImagesImport } = await import('./images.js');
      await runImagesImport(files, opts);
    } catch (err) {
      process.stderr.write(`skiff images import: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

program
  .command('cleanup')
  .description(
    'as root: remove the containers, pod network namespaces, iptables/nft rules, routes, bridge and VXLAN device Skiff made on this host (stop skiff first)',
  )
  .option('--data-dir <dir>', 'state directory of the server or agent (default /var/lib/skiff as root)')
  .option('--cni-bridge <name>', 'the pod bridge the node used', 'skiff0')
  .action(async (opts) => {
    try {
      const { runCleanup } = await import('./cleanup.js');
      await runCleanup(opts);
    } catch (err) {
      process.stderr.write(`skiff cleanup: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

program
  .command('secrets-encrypt')
  .description('encryption at rest on a running server: status (how stored Secrets are sealed), rotate-keys (new key, rewrite everything, drop the old keys)')
  .argument('<command>', 'status or rotate-keys')
  .option('--data-dir <dir>', "the server's state directory, whose admin kubeconfig is used")
  .option('--kubeconfig <file>', 'an administrator kubeconfig (default DATA_DIR/kubeconfig.yaml)')
  .action(async (command, opts) => {
    try {
      const { runSecretsEncrypt } = await import('./secrets-encrypt.js');
      await runSecretsEncrypt(command, opts);
    } catch (err) {
      process.stderr.write(`skiff secrets-encrypt: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port: ${v}`);
  return n;
}

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`skiff: ${(err as Error).message}\n`);
  process.exit(1);
});
