// Services carry traffic in every proxy mode: per mode a server and an agent, each in its own
// network namespace (netns-cluster.ts; the three clusters run side by side, sharing no host
// state), the seed's httpd Deployment behind Services. Every request goes to a cluster IP,
// node address or NodePort inside the test's own namespaces. Each httpd pod serves its own
// name, so the client sees which pod answered. SKIFF_E2E_PROXY_MODES picks modes (default all).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.js';
import { sleep, waitFor } from '../helpers/wait.js';

const FIXTURE = resolve(new URL('../../../test/fixtures/httpd-deployment.yaml', import.meta.url).pathname);

/** The fixture, with the built-in httpd image and a page naming the pod. */
function httpdDeployment(): string {
  return readFileSync(FIXTURE, 'utf8')
    .replace('      containers:\n', '      terminationGracePeriodSeconds: 2\n      containers:\n')
    .replace(
      /image: httpd\n/,
      [
        'image: skiff.local/httpd:1.35',
        '          imagePullPolicy: IfNotPresent',
        "          command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -v -p 8080 -h /tmp/www']",
        '',
      ].join('\n'),
    );
}

/** A sleeping busybox pod; `tag` makes its process findable on the host (sleep 3600.<tag>). */
function clientPod(name: string, node: string, tag: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'skiff.local/busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sleep', `3600.${tag}`] }],
    },
  });
}

/** The pid of the process whose command line is `sleep 3600.<tag>`. */
function podProcess(tag: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === `sleep\x003600.${tag}\x00`) return Number(d);
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

function execFileP(cmd: string, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => res({ code: err ? 1 : 0, stdout, stderr }));
    p.stdin!.end(input);
  });
}

async function json<T>(c: NetnsCluster, args: string[]): Promise<T> {
  const r = await c.kubectl([...args, '-o', 'json']);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function ok(c: NetnsCluster, args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `n` GETs from inside a pod; one line per request: the page, or "FAIL". */
async function fetchFromPod(c: NetnsCluster, pod: string, url: string, n: number): Promise<string[]> {
  const script = `for i in $(seq ${n}); do timeout 5 wget -qO- ${url} 2>/dev/null || echo FAIL; done`;
  const r = await c.kubectl(['exec', pod, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

/** One GET from a node's namespace, bounded; the page or undefined, and how long it took. */
async function fetchFromNode(c: NetnsCluster, node: number, url: string, seconds = 3): Promise<{ page?: string; err: string; ms: number }> {
  const t0 = Date.now();
  const r = await c.exec(node, ['timeout', String(seconds), 'busybox', 'wget', '-qO-', url], { timeoutMs: (seconds + 5) * 1000 });
  return { page: r.code === 0 ? r.stdout.trim() : undefined, err: r.stderr, ms: Date.now() - t0 };
}

async function readyEndpoints(c: NetnsCluster, svc: string): Promise<number> {
  const l = await json<{ items: EndpointSlice[] }>(c, ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`]);
  return l.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

/** Endpoints still serving, terminating ones included (the proxy falls back to those). */
async function servingEndpoints(c: NetnsCluster, svc: string): Promise<number> {
  const l = await json<{ items: EndpointSlice[] }>(c, ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`]);
  return l.items.flatMap((s) => s.endpoints ?? []).filter((e) => (e.conditions?.serving ?? e.conditions?.ready) !== false).length;
}

/** What each mode does differently, as Kubernetes' own modes do. */
interface ModeCase {
  mode: 'iptables' | 'nftables' | 'userspace';
  /** random: roughly half each (iptables, nftables); round-robin: strict alternation (userspace). */
  balance: 'random' | 'round-robin';
  /** NodePorts answer on 127.0.0.1 (not in nftables mode, as kube-proxy's nftables mode). */
  nodePortOnLoopback: boolean;
  /** No endpoints: the connection is refused (ICMP reject); userspace accepts and closes it at once. */
  refuses: boolean;
  /** externalTrafficPolicy Local keeps the client's address (a proxy in userspace cannot). */
  keepsSourceIP: boolean;
}

const CASES: ModeCase[] = [
  { mode: 'iptables', balance: 'random', nodePortOnLoopback: true, refuses: true, keepsSourceIP: true },
  { mode: 'nftables', balance: 'random', nodePortOnLoopback: false, refuses: true, keepsSourceIP: true },
  { mode: 'userspace', balance: 'round-robin', nodePortOnLoopback: true, refuses: false, keepsSourceIP: false },
];
const wanted = (process.env.SKIFF_E2E_PROXY_MODES ?? CASES.map((c) => c.mode).join(',')).split(',');

test('Services in every proxy mode: ClusterIP balancing, NodePort, LoadBalancer, reject without endpoints, affinity, externalTrafficPolicy Local, the kubernetes Service', {
  timeout: 900_000,
  concurrency: true,
}, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  await Promise.all(CASES.filter((m) => wanted.includes(m.mode)).map((m) => t.test(`${m.mode} proxy`, (tt) => scenario(tt, m))));
});

async function scenario(t: TestContext, m: ModeCase): Promise<void> {
  const c = await startNetnsCluster({ agents: 1, proxyMode: m.mode });
  const logs = () => c.logs();
  try {
    const [server, agent] = [c.nodes[0]!, c.nodes[1]!];
    await ok(c, ['apply', '-f', '-'], httpdDeployment());
    const clientTag = String(Math.floor(Math.random() * 1e6));
    await ok(c, ['apply', '-f', '-'], clientPod('client', agent.name, clientTag));
    const web: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'httpd_server' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    await ok(c, ['apply', '-f', '-'], JSON.stringify(web));
    const pods = await waitFor(
      '2 httpd pods and the client Running',
      120_000,
      async () => {
        const l = await json<{ items: Pod[] }>(c, ['get', 'pods']);
        const running = l.items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
        return running.length === 3 ? running : undefined;
      },
      logs,
      500,
    );
    const httpdNames = pods
      .filter((p) => p.metadata!.name!.startsWith('httpd'))
      .map((p) => p.metadata!.name!)
      .sort();
    await waitFor('2 ready endpoints of web', 30_000, async () => ((await readyEndpoints(c, 'web')) === 2 ? true : undefined), logs);
    const clusterIP = (await json<Service>(c, ['get', 'svc', 'web'])).spec!.clusterIP!;

    // 200 requests from a pod on the agent's node: both pods answer, roughly half each.
    const answers = await fetchFromPod(c, 'client', `http://${clusterIP}/`, 200);
    const counts = new Map<string, number>();
    for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
    t.diagnostic(`answers per pod: ${JSON.stringify(Object.fromEntries(counts))}`);
    assert.deepEqual([...counts.keys()].sort(), httpdNames, 'every answer comes from one of the two pods, none failed');
    // The agent's proxy that routed them acts as system:kube-proxy, with a certificate its node asked for.
    const proxyCerts = (await json<{ items: CertificateSigningRequest[] }>(c, ['get', 'csr'])).items
      .filter((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client' && x.spec.username === `system:node:${agent.name}` && x.status?.certificate)
      .map((x) => new X509Certificate(Buffer.from(x.status!.certificate!, 'base64')).subject)
      .filter((s) => s === 'CN=system:kube-proxy');
    assert.equal(proxyCerts.length, 1, "one proxy certificate, asked for by the agent's node");
    if (m.balance === 'random')
      for (const n of counts.values()) assert.ok(n >= 60 && n <= 140, `roughly half each (binomial 200, p=0.5: 60..140 is beyond 5 sigma): ${n}`);
    else
      for (let i = 1; i < answers.length; i++)
        assert.notEqual(answers[i], answers[i - 1], `strict alternation: requests ${i - 1} and ${i} both went to ${answers[i]}`);

    // NodePort and LoadBalancer: on the node's own address and 127.0.0.1, from the node's namespace and from the other node.
    const lb: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-lb' },
      spec: { type: 'LoadBalancer', selector: { app: 'httpd_server' }, ports: [{ port: 8081, targetPort: 8080 }] },
    };
    await ok(c, ['apply', '-f', '-'], JSON.stringify(lb));
    const lbSvc = await waitFor(
      'the LoadBalancer ingress',
      30_000,
      async () => {
        const s = await json<Service>(c, ['get', 'svc', 'web-lb']);
        return (s.status?.loadBalancer?.ingress?.length ?? 0) === 2 ? s : undefined;
      },
      logs,
    );
    assert.deepEqual(lbSvc.status!.loadBalancer!.ingress!.map((i) => i.ip).sort(), [server.ip, agent.ip].sort(), "ServiceLB: the Ready nodes' InternalIPs");
    const nodePort = lbSvc.spec!.ports![0]!.nodePort!;
    if (!m.nodePortOnLoopback) {
      const lo = await fetchFromNode(c, 0, `http://127.0.0.1:${nodePort}/`, 2);
      assert.equal(lo.page, undefined, 'no NodePort on 127.0.0.1 in this mode');
    }
    for (const [from, url] of [
      ...(m.nodePortOnLoopback ? [[0, `http://127.0.0.1:${nodePort}/`] as const] : []),
      [0, `http://${server.ip}:${nodePort}/`],
      [1, `http://${server.ip}:${nodePort}/`],
      [0, `http://${server.ip}:8081/`],
      [1, `http://${server.ip}:8081/`],
      [0, `http://${agent.ip}:8081/`],
    ] as const) {
      const r = await waitFor(`${url} from node ${from}`, 10_000, async () => (await fetchFromNode(c, from, url)).page, logs, 250);
      assert.ok(httpdNames.includes(r), `${url} from node ${from} answered ${r}`);
    }

    // No endpoints: connections are refused at once (REJECT), not left hanging; the userspace
    // proxy accepts and closes at once.
    await ok(c, ['scale', 'deployment/httpd-deployment', '--replicas=0']);
    await waitFor('no serving endpoint of web', 60_000, async () => ((await servingEndpoints(c, 'web')) === 0 ? true : undefined), logs);
    let lastOut = '';
    const refused = await waitFor(
      'connection refused to the cluster IP',
      5_000,
      async () => {
        const t0 = Date.now();
        const r = await c.kubectl(['exec', 'client', '--', 'sh', '-c', `timeout 5 wget -qO- http://${clusterIP}/ 2>&1; echo rc=$?`]);
        lastOut = r.stdout + r.stderr;
        const failed = m.refuses ? /refused/i.test(r.stdout) : !/rc=0/.test(r.stdout);
        return failed ? { out: r.stdout, ms: Date.now() - t0 } : undefined;
      },
      () => `${logs()}\nlast wget: ${lastOut}`,
      100,
    );
    assert.ok(refused.ms < 3000, `refused fast: ${refused.ms} ms`);
    const fromNode = await fetchFromNode(c, 1, `http://${clusterIP}/`);
    assert.equal(fromNode.page, undefined);
    if (m.refuses) assert.match(fromNode.err, /refused/i);
    assert.ok(fromNode.ms < 2000, `refused fast from the node too: ${fromNode.ms} ms`);

    // Back: the ClusterIP works within a second of an endpoint being ready.
    await ok(c, ['scale', 'deployment/httpd-deployment', '--replicas=2']);
    await waitFor('a ready endpoint of web', 120_000, async () => ((await readyEndpoints(c, 'web')) > 0 ? true : undefined), logs, 50);
    const back = Date.now();
    const page = await waitFor('the ClusterIP answering again', 5_000, async () => (await fetchFromNode(c, 1, `http://${clusterIP}/`, 2)).page, logs, 50);
    const backMs = Date.now() - back;
    t.diagnostic(`answering ${backMs} ms after the first endpoint was ready`);
    assert.match(page, /^httpd-deployment-/);
    assert.ok(backMs < 1000, `within a second: ${backMs} ms`);
    await waitFor('2 ready endpoints of web again', 60_000, async () => ((await readyEndpoints(c, 'web')) === 2 ? true : undefined), logs);

    // sessionAffinity ClientIP pins the client to one pod.
    await ok(c, ['patch', 'svc', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await sleep(500);
    const pinned = new Set(await fetchFromPod(c, 'client', `http://${clusterIP}/`, 30));
    assert.equal(pinned.size, 1, `one pod answers every request: ${[...pinned].join(', ')}`);
    assert.ok(!pinned.has('FAIL'));

    // externalTrafficPolicy Local: one pod on the server's node; the source IP is kept; the agent's node does not answer.
    const local = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'solo' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'solo' } },
        template: {
          metadata: { labels: { app: 'solo' } },
          spec: {
            nodeName: server.name,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'httpd', image: 'skiff.local/httpd:1.35', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    });
    await ok(c, ['apply', '-f', '-'], local);
    await ok(
      c,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'solo' },
        spec: { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'solo' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
    );
    await waitFor('the solo endpoint ready', 120_000, async () => ((await readyEndpoints(c, 'solo')) === 1 ? true : undefined), logs, 500);
    const soloPort = (await json<Service>(c, ['get', 'svc', 'solo'])).spec!.ports![0]!.nodePort!;
    const viaServer = await waitFor(
      'the solo NodePort on the server node',
      10_000,
      async () => (await fetchFromNode(c, 1, `http://${server.ip}:${soloPort}/`)).page,
      logs,
      250,
    );
    assert.match(viaServer, /It works!/);
    const soloPod = (await json<{ items: Pod[] }>(c, ['get', 'pods', '-l', 'app=solo'])).items[0]!.metadata!.name!;
    const httpdLog = await ok(c, ['logs', soloPod]);
    // busybox httpd listens on IPv6 too and logs IPv4 peers as [::ffff:a.b.c.d]:port.
    if (m.keepsSourceIP)
      assert.match(
        httpdLog,
        new RegExp(`^(\\[::ffff:)?${agent.ip.replace(/\./g, '\\.')}\\]?:\\d+: `, 'm'),
        `the client's own address in the httpd log:\n${httpdLog}`,
      );
    const viaAgent = await fetchFromNode(c, 0, `http://${agent.ip}:${soloPort}/`, 2);
    assert.equal(viaAgent.page, undefined, 'a node without a local endpoint does not answer on the NodePort');

    // The kubernetes Service (first address of the service CIDR, port 443) reaches the API server
    // from the client pod: a TLS handshake verified against the cluster CA and the Service IP.
    // busybox's TLS client offers no ECDSA signature algorithm (the cluster's keys are P-256), so
    // the host's openssl runs inside the pod's network namespace instead.
    const kubeIP = (await json<Service>(c, ['get', 'svc', 'kubernetes', '-n', 'default'])).spec!.clusterIP!;
    const pid = podProcess(clientTag);
    assert.ok(pid, "the client pod's sleep process");
    const tls = await execFileP(
      'nsenter',
      [
        `--net=/proc/${pid}/ns/net`,
        'timeout',
        '10',
        'openssl',
        's_client',
        '-connect',
        `${kubeIP}:443`,
        '-CAfile',
        join(server.dataDir, 'tls', 'ca.crt'),
        '-verify_return_error',
        '-verify_ip',
        kubeIP,
      ],
      '',
    );
    t.diagnostic(`openssl s_client ${kubeIP}:443 from the client pod: ${/Verify return code: .*/.exec(tls.stdout)?.[0]}`);
    assert.match(tls.stdout, /Verify return code: 0 \(ok\)/, `${tls.stdout}\n${tls.stderr}`);
  } finally {
    await c.cleanup();
  }
}
