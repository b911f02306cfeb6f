// The `skiff` command. Flag names follow k3s where k3s has one.
import { Command, Option } from 'commander';
import { runServer } from './server.js';

const program = new Command();
program.name('skiff').description('Kubernetes in one program: API server, store, controllers, node agent.');

program
  .command('server')
  .description('run the control plane (and, unless --disable-agent, a node agent on this host)')
  .option('--data-dir <dir>', 'state directory (default /var/lib/skiff as root, else ~/.local/share/skiff)')
  .option('--bind-address <addr>', 'address the API server listens on', '0.0.0.0')
  .option('--advertise-address <addr>', 'address agents and pods reach the API server at (default: the bind address, or this host\'s first IPv4 address)')
  .option('--https-port <port>', 'port the API server listens on', (v) => parsePort(v), 6443)
  .option('--write-kubeconfig <file>', 'where to write the admin kubeconfig (default DATA_DIR/kubeconfig.yaml)')
  .option('--datastore-endpoint <url>', 'store: empty for the embedded SQLite database')
  .option('--disable-agent', 'run no node agent in this process', false)
  .option('--etcd-compaction-interval <duration>', 'how often history older than the previous interval is dropped (as kube-apiserver)', '5m')
  .option('--token <token>', 'shared secret that agents join with (generated if absent)')
  .addOption(new Option('--cluster-cidr <cidr>', 'pod network').default('10.42.0.0/16'))
  .addOption(new Option('--service-cidr <cidr>', 'service network').default('10.43.0.0/16'))
  .addOption(new Option('--cluster-dns <ip>', 'cluster DNS service IP').default('10.43.0.10'))
  .action(async (opts) => {
    try {
      await runServer(opts);
    } catch (err) {
      process.stderr.write(`skiff server: ${(err as Error).message}\n`);
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
