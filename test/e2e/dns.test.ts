// Cluster DNS from inside pods, with real containers: a server and an agent, each in its own
// network namespace (netns-cluster.ts), the service proxy in iptables mode sending the
// kube-dns Service's traffic to each node's own DNS. busybox's nslookup and wget resolve
// Services, a StatefulSet pod's name and kubernetes.default; names outside the cluster go to
// a test upstream on the host's address on the test's own segment, set by the skiff-dns
// ConfigMap while the cluster runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startTestUpstream } from '../helpers/dns.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.js';
import { waitFor } from '../helpers/wait.js';

async function ok(c: NetnsCluster, args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function json<T>(c: NetnsCluster, args: string[]): Promise<T> {
  return JSON.parse(await ok(c, [...args, '-o', 'json'])) as T;
}

/** A shell command in a pod; its output whatever the exit code. */
async function inPod(c: NetnsCluster, pod: string, script: string): Promise<string> {
  const r = await c.kubectl(['exec', pod, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
  return `${r.stdout}${r.stderr}`;
}

const pingLine = (name: string, ip: string) => new RegExp(`^PING ${name.replace(/\./g, '\\.')} \\(${ip.replace(/\./g, '\\.')}\\)`, 'm');
const addressLine = (ip: string) => new RegExp(`^Address:\\s+${ip.replace(/\./g, '\\.')}$`, 'm');

const workloads = (agentNode: string, serverNode: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: httpd }
spec:
  replicas: 2
  selector: { matchLabels: { app: httpd } }
  template:
    metadata: { labels: { app: httpd } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: skiff.local/httpd:1.35
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']
---
apiVersion: v1
kind: Service
metadata: { name: httpd-svc }
spec:
  selector: { app: httpd }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: nginx }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ name: web, port: 8080 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: nginx
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - { name: c, image: skiff.local/httpd:1.35, imagePullPolicy: IfNotPresent, command: [sh, -c, 'mkdir -p /tmp/w && exec httpd -f -p 8080 -h /tmp/w'] }
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: ${agentNode}
  terminationGracePeriodSeconds: 1
  containers: [{ name: c, image: skiff.local/busybox:1.35, imagePullPolicy: IfNotPresent, command: [sleep, '3600'] }]
---
apiVersion: v1
kind: Pod
metadata: { name: client-server-node }
spec:
  nodeName: ${serverNode}
  terminationGracePeriodSeconds: 1
  containers: [{ name: c, image: skiff.local/busybox:1.35, imagePullPolicy: IfNotPresent, command: [sleep, '3600'] }]
`;

test('cluster DNS from pods: Services, StatefulSet pods, kubernetes.default, forwarding, live changes', { timeout: 600_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const c = await startNetnsCluster({ agents: 1, proxyMode: 'iptables' });
  const upstream = await startTestUpstream({ host: c.hostIP, domain: 'example.test', address: '192.0.2.77' });
  const logs = () => c.logs();
  try {
    const [server, agent] = [c.nodes[0]!, c.nodes[1]!];
    // Each node publishes its own DNS listener (node IP, port 53 as root) in kube-dns's slices.
    const slices = await waitFor(
      "both nodes' kube-dns endpoints",
      60_000,
      async () => {
        const l = await json<{ items: EndpointSlice[] }>(c, ['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns']);
        return l.items.length === 2 ? l.items : undefined;
      },
      logs,
      500,
    );
    assert.deepEqual(
      slices.map((s) => [s.endpoints[0]!.nodeName, s.endpoints[0]!.addresses[0], s.ports![0]!.port]).sort(),
      [
        [server.name, server.ip, 53],
        [agent.name, agent.ip, 53],
      ].sort(),
    );
    const kubeDns = await json<Service>(c, ['get', 'service', '-n', 'kube-system', 'kube-dns']);
    assert.equal(kubeDns.spec!.clusterIP, c.clusterDns);

    await ok(c, ['create', 'configmap', 'skiff-dns', '-n', 'kube-system', `--from-literal=upstreamNameservers=["${c.hostIP}:${upstream.port}"]`]);
    await ok(c, ['apply', '-f', '-'], workloads(agent.name, server.name));
    const pods = await waitFor(
      'httpd, web and client pods Ready',
      180_000,
      async () => {
        const l = await json<{ items: Pod[] }>(c, ['get', 'pods']);
        const ready = l.items.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
        return ready.length === 6 ? ready : undefined;
      },
      logs,
      1000,
    );
    const svcIP = (await json<Service>(c, ['get', 'service', 'httpd-svc'])).spec!.clusterIP!;
    const web0 = pods.find((p) => p.metadata!.name === 'web-0')!.status!.podIP!;
    const kubernetesIP = (await json<Service>(c, ['get', 'service', 'kubernetes'])).spec!.clusterIP!;

    for (const client of ['client', 'client-server-node']) {
      const resolv = await inPod(c, client, 'cat /etc/resolv.conf');
      assert.match(resolv, new RegExp(`^nameserver ${c.clusterDns.replace(/\./g, '\\.')}$`, 'm'));
      // The name, short, through the search path.
      const svc = await waitFor(
        `${client}: nslookup httpd-svc`,
        30_000,
        async () => {
          const out = await inPod(c, client, 'nslookup httpd-svc');
          return addressLine(svcIP).test(out) ? out : undefined;
        },
        logs,
        500,
      );
      assert.match(svc, /Name:\s+httpd-svc\.default\.svc\.cluster\.local/);
      // And the Service answers by name, through the service proxy.
      // (busybox 1.35's wget crashes with -T: the shell's timeout bounds it instead.)
      const page = await inPod(c, client, 'timeout 10 wget -qO- http://httpd-svc:8080/');
      assert.match(page, /^httpd-/m, page);
      // Short names with a dot: busybox's nslookup applies the search path only to names
      // without one, its libc (ping, wget) as resolv.conf says (ndots:5), as in any pod.
      assert.match(await inPod(c, client, 'ping -c 1 -W 1 web-0.nginx'), pingLine('web-0.nginx', web0));
      assert.match(await inPod(c, client, 'nslookup web-0.nginx.default.svc.cluster.local'), addressLine(web0));
      assert.match(await inPod(c, client, 'ping -c 1 -W 1 kubernetes.default'), pingLine('kubernetes.default', kubernetesIP));
      // A name outside the cluster: forwarded to the ConfigMap's upstream.
      assert.match(await inPod(c, client, 'nslookup www.example.test.'), addressLine('192.0.2.77'));
    }
    assert.ok((upstream.queries.get('www.example.test') ?? 0) >= 1, 'the test upstream was asked');

    // A new Service: resolvable from a pod at once; deleted: gone.
    await ok(c, ['create', 'service', 'clusterip', 'late', '--tcp=80:80']);
    const lateIP = (await json<Service>(c, ['get', 'service', 'late'])).spec!.clusterIP!;
    assert.match(await inPod(c, 'client', 'for i in $(seq 20); do nslookup late && break; sleep 0.1; done'), addressLine(lateIP));
    await ok(c, ['delete', 'service', 'late']);
    const gone = await inPod(c, 'client', 'for i in $(seq 20); do nslookup late.default.svc.cluster.local || break; sleep 0.1; done');
    assert.match(gone, /NXDOMAIN|can't find/i);
  } finally {
    await upstream.close();
    await c.cleanup();
  }
});
