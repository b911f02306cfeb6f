// The built-in ingress with real containers: a server and an agent, each in its own network
// namespace (netns-cluster.ts); two Deployments behind two Services; one Ingress with two
// hosts and two paths, one host with TLS. From the agent's namespace, curl reaches each
// backend by host and path through the server node's ingress on 80/443 (root), openssl sees the
// Secret's certificate by SNI, HTTP redirects, HTTP/2 is negotiated, a WebSocket echo pod
// answers through it, the affinity cookie pins a client to one pod; while a bounded load loop
// runs, the Deployment is scaled and restarted and the Ingress edited: no request fails.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { selfSignedServingCert } from '../../src/util/x509-jobs.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.js';
import { waitFor } from '../helpers/wait.js';

function deployment(name: string, replicas: number, sub: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'httpd',
              image: 'skiff.local/httpd:1.35',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 8080 }],
              command: ['sh', '-c', `mkdir -p /tmp/www${sub} && hostname > /tmp/www${sub}/index.html && exec httpd -f -p 8080 -h /tmp/www`],
              readinessProbe: { httpGet: { path: `${sub}/`, port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  });
}

// A WebSocket echo (RFC 6455: handshake, then masked text frames under 126 bytes answered
// "<hostname>:<text>") in busybox sh, one process per connection under `nc -ll -e`.
const WS_ECHO = `key=''
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf '%s' "\${line#*:}" | tr -d ' ') ;; esac
done
accept=$(printf '%s' "\${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" | busybox sha1sum | busybox cut -d' ' -f1 | busybox xxd -r -p | busybox base64)
printf 'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: %s\\r\\n\\r\\n' "$accept"
while :; do
  set -- $(dd bs=1 count=2 2>/dev/null | od -An -tu1)
  [ $# -lt 2 ] && exit 0
  op=$(( $1 & 15 )); len=$(( $2 & 127 ))
  mask=$(dd bs=1 count=4 2>/dev/null | od -An -tu1)
  data=$(dd bs=1 count=$len 2>/dev/null | od -An -tu1)
  if [ $op -eq 8 ]; then printf '\\210\\000'; exit 0; fi
  text="$(hostname):$(echo $mask $data | busybox awk '{ for (i = 5; i <= NF; i++) printf "%c", xor($i, $(((i - 5) % 4) + 1)) }')"
  printf "\\\\201\\\\$(printf '%03o' \${#text})%s" "$text"
done
`;

const wsDeployment = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ws' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'ws' } },
    template: {
      metadata: { labels: { app: 'ws' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'echo',
            image: 'skiff.local/busybox:1.35',
            imagePullPolicy: 'IfNotPresent',
            env: [{ name: 'WS_ECHO', value: WS_ECHO }],
            command: ['sh', '-c', 'printf "%s" "$WS_ECHO" > /tmp/ws.sh && exec nc -ll -p 8080 -e sh /tmp/ws.sh'],
          },
        ],
      },
    },
  },
});

const service = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });

async function ok(c: NetnsCluster, args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function readyEndpoints(c: NetnsCluster, svc: string): Promise<number> {
  const l = JSON.parse(await ok(c, ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'])) as { items: EndpointSlice[] };
  return l.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

test('ingress with real containers: hosts and paths, SNI, redirect, HTTP/2, WebSocket, affinity, zero failures while scaling, rolling and editing', {
  timeout: 600_000,
}, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const c = await startNetnsCluster({ agents: 1 });
  const logs = () => c.logs();
  try {
    const ip = c.server.ip;
    const curl = (args: string[], timeoutMs = 15_000) => c.exec(1, ['curl', '-sS', '--max-time', '5', ...args], { timeoutMs });
    await ok(c, ['apply', '-f', '-'], deployment('web', 2, ''));
    await ok(c, ['apply', '-f', '-'], deployment('api', 1, '/api'));
    await ok(c, ['apply', '-f', '-'], service('web'));
    await ok(c, ['apply', '-f', '-'], service('api'));
    await ok(c, ['apply', '-f', '-'], wsDeployment);
    await ok(c, ['apply', '-f', '-'], service('ws'));
    const cert = await selfSignedServingCert('secure.test', { hostnames: ['secure.test'] });
    await ok(
      c,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'secure' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': Buffer.from(cert.cert).toString('base64'), 'tls.key': Buffer.from(cert.key).toString('base64') },
      }),
    );
    const ingress = (extraHost?: string) =>
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'site' },
        spec: {
          tls: [{ hosts: ['secure.test'], secretName: 'secure' }],
          rules: [
            {
              host: 'a.test',
              http: {
                paths: [
                  { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
                  { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
                ],
              },
            },
            { host: 'secure.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
            { host: 'ws.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'ws', port: { number: 80 } } } }] } },
            ...(extraHost
              ? [{ host: extraHost, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] } }]
              : []),
          ],
        },
      });
    await ok(c, ['apply', '-f', '-'], ingress());
    await waitFor(
      '3 httpd pods and the WebSocket pod ready',
      180_000,
      async () =>
        (await readyEndpoints(c, 'web')) === 2 && (await readyEndpoints(c, 'api')) === 1 && (await readyEndpoints(c, 'ws')) === 1 ? true : undefined,
      logs,
      500,
    );
    const pods = JSON.parse(await ok(c, ['get', 'pods', '-o', 'json'])) as { items: Pod[] };
    const webPods = pods.items
      .filter((p) => p.metadata!.name!.startsWith('web-'))
      .map((p) => p.metadata!.name!)
      .sort();
    const apiPod = pods.items.find((p) => p.metadata!.name!.startsWith('api-'))!.metadata!.name!;
    const wsPod = pods.items.find((p) => p.metadata!.name!.startsWith('ws-'))!.metadata!.name!;

    // By host and path, from the other node's namespace to the server node's address.
    const seen = new Set<string>();
    await waitFor(
      'the ingress routing a.test',
      20_000,
      async () => {
        const r = await curl(['--resolve', `a.test:80:${ip}`, 'http://a.test/']);
        return r.code === 0 && webPods.includes(r.stdout.trim()) ? true : undefined;
      },
      logs,
      250,
    );
    for (let i = 0; i < 6; i++) seen.add((await curl(['--resolve', `a.test:80:${ip}`, 'http://a.test/'])).stdout.trim());
    assert.deepEqual([...seen].sort(), webPods, 'round robin over both web pods');
    assert.equal((await curl(['--resolve', `a.test:80:${ip}`, 'http://a.test/api/'])).stdout.trim(), apiPod);
    assert.equal((await curl(['-o', '/dev/null', '-w', '%{http_code}', '--resolve', `nope.test:80:${ip}`, 'http://nope.test/'])).stdout, '404');

    // TLS: SNI picks the Secret's certificate; HTTP redirects; HTTP/2 is negotiated.
    const sclient = await c.exec(
      1,
      ['sh', '-c', `openssl s_client -connect ${ip}:443 -servername secure.test </dev/null 2>/dev/null | openssl x509 -noout -subject`],
      { timeoutMs: 15_000 },
    );
    assert.match(sclient.stdout, /CN\s*=\s*secure\.test/);
    const other = await c.exec(
      1,
      ['sh', '-c', `openssl s_client -connect ${ip}:443 -servername unknown.test </dev/null 2>/dev/null | openssl x509 -noout -subject`],
      { timeoutMs: 15_000 },
    );
    assert.match(other.stdout, /CN\s*=\s*skiff-ingress-default/);
    const redirect = await curl(['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--resolve', `secure.test:80:${ip}`, 'http://secure.test/x']);
    assert.equal(redirect.stdout, '308 https://secure.test/x');
    const h2 = await curl(['-k', '--http2', '-o', '/dev/null', '-w', '%{http_version}', '--resolve', `secure.test:443:${ip}`, 'https://secure.test/']);
    assert.equal(h2.stdout, '2');

    // A WebSocket through the ingress to the echo pod, two messages each way (Node's ws client, run in the other node's namespace).
    const wsClient = `const W = require(${JSON.stringify(createRequire(import.meta.url).resolve('ws'))});
const ws = new W('ws://${ip}/chat', { headers: { host: 'ws.test' } });
const got = [];
ws.on('open', () => ws.send('hello'));
ws.on('message', (m) => { got.push(String(m)); if (got.length === 1) ws.send('again'); else { console.log(got.join(' ')); ws.close(); } });
ws.on('error', (e) => { console.error(e.message); process.exit(1); });
setTimeout(() => { console.error('no echo within 10 s: ' + got.join(' ')); process.exit(1); }, 10_000).unref();`;
    const echoed = await waitFor(
      'the WebSocket echo through the ingress',
      20_000,
      async () => {
        const r = await c.exec(1, [process.execPath, '-e', wsClient], { timeoutMs: 15_000 });
        return r.code === 0 ? r.stdout.trim() : undefined;
      },
      logs,
      500,
    );
    assert.equal(echoed, `${wsPod}:hello ${wsPod}:again`);

    // The affinity cookie pins a client to one of the two web pods.
    await ok(
      c,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'sticky', annotations: { 'skiff.io/affinity': 'cookie', 'skiff.io/session-cookie-name': 'pin' } },
        spec: {
          rules: [{ host: 'sticky.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
        },
      }),
    );
    const first = await waitFor(
      'the sticky route',
      20_000,
      async () => {
        const r = await curl(['-D', '-', '--resolve', `sticky.test:80:${ip}`, 'http://sticky.test/']);
        return /set-cookie: pin=/i.test(r.stdout) ? r.stdout : undefined;
      },
      logs,
      250,
    );
    const cookie = /set-cookie: (pin=[0-9a-f]+)/i.exec(first)![1]!;
    const pinned = first.trim().split('\n').pop()!.trim();
    assert.ok(webPods.includes(pinned), `answered by ${pinned}`);
    for (let i = 0; i < 6; i++)
      assert.equal((await curl(['-H', `Cookie: ${cookie}`, '--resolve', `sticky.test:80:${ip}`, 'http://sticky.test/'])).stdout.trim(), pinned);

    // Load loop (bounded: at most 600 rounds of 10 keep-alive requests) until the Deployment
    // has been scaled, restarted (rolling) and the Ingress edited.
    let changing = true;
    const loop = (async () => {
      const failures: string[] = [];
      let total = 0;
      for (let round = 0; round < 600 && changing; round++) {
        const urls = Array.from({ length: 10 }, (_, i) => `http://a.test/?r=${round}.${i}`);
        const r = await curl(['--resolve', `a.test:80:${ip}`, '-w', '%{http_code}\\n', ...urls.flatMap((u) => ['-o', '/dev/null', u])], 60_000);
        const codes = r.stdout.trim().split('\n');
        total += codes.length;
        for (const code of codes) if (code !== '200') failures.push(`round ${round}: ${code} ${r.stderr}`);
        if (codes.length !== 10) failures.push(`round ${round}: ${codes.length} answers: ${r.stderr}`);
      }
      return { failures, total };
    })();
    await ok(c, ['scale', 'deployment/web', '--replicas=3']);
    await waitFor('3 ready web endpoints', 120_000, async () => ((await readyEndpoints(c, 'web')) === 3 ? true : undefined), logs, 500);
    await ok(c, ['apply', '-f', '-'], ingress('extra.test'));
    await ok(c, ['rollout', 'restart', 'deployment/web']);
    await ok(c, ['rollout', 'status', 'deployment/web', '--timeout=120s']);
    await ok(c, ['scale', 'deployment/web', '--replicas=2']);
    await waitFor('2 ready web endpoints', 60_000, async () => ((await readyEndpoints(c, 'web')) === 2 ? true : undefined), logs, 500);
    changing = false;
    const { failures, total } = await loop;
    t.diagnostic(`${total} requests during scale, restart and edit`);
    assert.deepEqual(failures, []);
    assert.equal((await curl(['--resolve', `extra.test:80:${ip}`, 'http://extra.test/api/'])).stdout.trim(), apiPod);
  } finally {
    await c.cleanup();
  }
});
