// Pod lifecycle e2e themes (run by ../pod-lifecycle.test.ts on one shared node): what a container
// is given: command/args, user, read-only root, cgroup limits, capabilities, fsGroup, DNS,
// hostname, hostNetwork.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RealNode } from '../../helpers/real-node.js';
import { BUSYBOX, IDLE, podYaml, apply, getPod, until, secondsSince, exec, logs } from '../../helpers/pod-kubectl.js';
import type { Theme } from './theme.js';

async function containerSettings(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    podYaml(
      'settings',
      `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c]
    args: ['echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) args=$0,$1"; touch /etc/probe 2>/dev/null && echo rootfs=writable || echo rootfs=readonly; touch /tmp/x 2>/dev/null && echo tmp=writable || echo tmp=readonly; echo bye > /dev/termination-log', one, two]
    workingDir: /usr
    securityContext: {runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
`,
    ),
  );
  const t0 = Date.now();
  const pod = await until(node, 'settings finished', 40_000, async () => {
    const p = await getPod(node, 'settings');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`container settings: pod finished ${secondsSince(t0)} s after apply`);
  const out = await logs(node, 'settings');
  assert.equal(pod.status?.phase, 'Succeeded', out);
  assert.equal(out.trim(), 'uid=1000 gid=3000 cwd=/usr args=one,two\nrootfs=readonly\ntmp=readonly');
  const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
  // args alone replace the image's CMD (the httpd image has no ENTRYPOINT).
  await apply(
    node,
    podYaml(
      'args-only',
      `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: skiff.local/httpd:1.35, args: [sh, -c, 'echo args replaced the image CMD']}
`,
    ),
  );
  const argsOnly = await until(node, 'args-only finished', 40_000, async () => {
    const p = await getPod(node, 'args-only');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.equal(argsOnly.status?.phase, 'Succeeded');
  assert.equal((await logs(node, 'args-only')).trim(), 'args replaced the image CMD');
  assert.equal(term?.reason, 'Completed');
  assert.equal(term?.message, 'bye\n', 'a non-root container can write its termination message');
}

async function resourcesAndPrivileges(t: TestContext, node: RealNode): Promise<void> {
  // cgroup v1 and v2 name the limits differently; the script prints whichever exists.
  const script = [
    'cg=/sys/fs/cgroup',
    'if [ -f $cg/memory/memory.limit_in_bytes ]; then echo mem=$(cat $cg/memory/memory.limit_in_bytes); echo cpu=$(cat $cg/cpu/cpu.cfs_quota_us)/$(cat $cg/cpu/cpu.cfs_period_us); echo shares=$(cat $cg/cpu/cpu.shares);',
    'else echo mem=$(cat $cg/memory.max); echo cpu=$(cat $cg/cpu.max | tr " " /); echo shares=unknown; fi',
    'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | tr -d "\t"',
    'echo groups=$(id -G)',
    'echo data=$(stat -c %g /data)',
    'touch /data/f && echo file=$(stat -c %u:%g /data/f)',
  ].join('\n');
  await apply(
    node,
    podYaml(
      'limits',
      `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [4000]}
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: app
    image: ${BUSYBOX}
    command: [sh, -c, ${JSON.stringify(script)}]
    volumeMounts: [{name: data, mountPath: /data}]
    resources: {requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 500m, memory: 64Mi}}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`,
    ),
  );
  const t0 = Date.now();
  const pod = await until(node, 'limits finished', 40_000, async () => {
    const p = await getPod(node, 'limits');
    return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
  });
  t.diagnostic(`resources: pod finished ${secondsSince(t0)} s after apply`);
  const out = await logs(node, 'limits');
  assert.equal(pod.status?.phase, 'Succeeded', out);
  assert.equal(pod.status?.qosClass, 'Burstable');
  const got: Record<string, string> = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => {
        const i = l.search(/[=:]/);
        return [l.slice(0, i), l.slice(i + 1)];
      }),
  );
  assert.match(got.mem!, /^(67108864)$/, out);
  assert.match(got.cpu!, /^(50000\/100000)$/, out);
  if (got.shares !== 'unknown') assert.equal(got.shares, '256', out);
  assert.equal(got.CapEff, '0000000000000000', `capabilities dropped: ${out}`);
  assert.equal(got.NoNewPrivs, '1', `allowPrivilegeEscalation: false sets no_new_privs: ${out}`);
  assert.deepEqual(got.groups!.split(' ').sort(), ['0', '2000', '4000'].sort(), `fsGroup and supplementalGroups: ${out}`);
  assert.equal(got.data, '2000', `the emptyDir belongs to the fsGroup: ${out}`);
  assert.equal(got.file, '1000:2000', `new files get the fsGroup (setgid dir): ${out}`);
}

async function podNetworkSettings(t: TestContext, node: RealNode): Promise<void> {
  await apply(
    node,
    `${podYaml(
      'dns-pod',
      `
  terminationGracePeriodSeconds: 1
  hostname: web-0
  subdomain: web
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`,
    )}
---
${podYaml(
  'host-net',
  `
  terminationGracePeriodSeconds: 1
  hostNetwork: true
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`,
)}`,
  );
  const t0 = Date.now();
  const [dnsPod, hostNet] = await until(node, 'dns-pod and host-net Running', 30_000, async () => {
    const ps = [await getPod(node, 'dns-pod'), await getPod(node, 'host-net')];
    return ps.every((p) => p?.status?.phase === 'Running') ? (ps as [Pod, Pod]) : undefined;
  });
  t.diagnostic(`network settings: both pods Running after ${secondsSince(t0)} s`);
  const resolv = await exec(node, 'dns-pod', ['cat', '/etc/resolv.conf']);
  const dnsIP = node.clusterCidr.replace(/^(\d+\.\d+)\..*$/, '$1.128.10');
  assert.match(resolv, new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'), resolv);
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m, resolv);
  assert.match(resolv, /^options ndots:5$/m, resolv);
  assert.equal((await exec(node, 'dns-pod', ['hostname'])).trim(), 'web-0');
  const hosts = await exec(node, 'dns-pod', ['cat', '/etc/hosts']);
  assert.match(hosts, new RegExp(`^${dnsPod.status!.podIP!.replace(/\./g, '\\.')}\\s+web-0\\.web\\.default\\.svc\\.cluster\\.local\\s+web-0$`, 'm'), hosts);

  assert.equal(hostNet.status?.podIP, hostNet.status?.hostIP, 'a hostNetwork pod has the node IP');
  const hostName = spawnSync('hostname', { encoding: 'utf8' }).stdout.trim();
  assert.equal((await exec(node, 'host-net', ['hostname'])).trim(), hostName, 'a hostNetwork pod has the node hostname');
  const myLinks = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0])
    .filter(Boolean)
    .sort();
  const podLinks = (await exec(node, 'host-net', ['ls', '/sys/class/net'])).trim().split(/\s+/).sort();
  assert.ok(podLinks.includes(node.bridge), `the host's interfaces are visible in a hostNetwork pod (${podLinks.length} vs ${myLinks.length})`);
}

async function runAsNonRootRefusesRoot(t: TestContext, node: RealNode): Promise<void> {
  // The busybox image names no user, so it would run as root: the kubelet refuses to create it.
  await apply(
    node,
    podYaml(
      'non-root',
      `
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: app, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
`,
    ),
  );
  const t0 = Date.now();
  const w = await until(node, 'non-root in CreateContainerConfigError', 30_000, async () => {
    const s = (await getPod(node, 'non-root'))?.status?.containerStatuses?.[0]?.state?.waiting;
    return s?.reason === 'CreateContainerConfigError' ? s : undefined;
  });
  t.diagnostic(`runAsNonRoot: refused ${secondsSince(t0)} s after apply`);
  assert.match(w.message ?? '', /^container has runAsNonRoot and image will run as root \(pod: "non-root_default\(.+\)", container: app\)$/);
  const ev = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=non-root,reason=Failed', '-o', 'json']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.ok(
    (JSON.parse(ev.stdout) as { items: { message?: string }[] }).items.some((e) => /runAsNonRoot/.test(e.message ?? '')),
    'a Failed event says why',
  );
}

async function hostPortOnLoopback(t: TestContext, node: RealNode): Promise<void> {
  // A hostPort is reachable on the node; the request goes to 127.0.0.1 only (the network rule).
  const hostPort = 20000 + Math.floor(Math.random() * 20000);
  await apply(
    node,
    podYaml(
      'host-port',
      `
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: skiff.local/httpd:1.35
    ports: [{containerPort: 8080, hostPort: ${hostPort}}]
`,
    ),
  );
  const t0 = Date.now();
  await until(node, 'host-port Running', 30_000, async () => ((await getPod(node, 'host-port'))?.status?.phase === 'Running' ? true : undefined));
  const page = await until(
    node,
    `the page on 127.0.0.1:${hostPort}`,
    15_000,
    async () => {
      const body = await new Promise<string | undefined>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: hostPort, path: '/', timeout: 2000 }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(res.statusCode === 200 ? b : undefined));
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(undefined));
      });
      return body;
    },
    500,
  );
  t.diagnostic(`hostPort: the pod answered on 127.0.0.1:${hostPort} ${secondsSince(t0)} s after apply`);
  assert.match(page, /It works!/);
  // portmap's DNAT rule for the port exists while the pod does, and leaves with it.
  const dnat = new RegExp(`--dport ${hostPort}\\b`);
  const natRules = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;
  assert.match(natRules(), dnat, 'a DNAT rule for the host port');
  const del = await node.kubectl(['delete', 'pod', 'host-port', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
  assert.equal(del.code, 0, del.stderr);
  await until(node, `the NAT rules of host port ${hostPort} gone`, 20_000, async () => (dnat.test(natRules()) ? undefined : true));
}

async function sharedProcessNamespace(t: TestContext, node: RealNode): Promise<void> {
  const spec = (share: boolean) => `
  shareProcessNamespace: ${share}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: a, image: ${BUSYBOX}, command: [sh, -c, '${IDLE}']}
  - {name: b, image: ${BUSYBOX}, command: [sleep, '4242']}
`;
  await apply(node, `${podYaml('share-pid', spec(true))}\n---\n${podYaml('own-pid', spec(false))}`);
  const t0 = Date.now();
  await until(node, 'share-pid and own-pid Running', 30_000, async () =>
    (await getPod(node, 'share-pid'))?.status?.phase === 'Running' && (await getPod(node, 'own-pid'))?.status?.phase === 'Running' ? true : undefined,
  );
  t.diagnostic(`shareProcessNamespace: both pods Running after ${secondsSince(t0)} s`);
  const shared = await exec(node, 'share-pid', ['ps', '-o', 'pid,args'], 'a');
  assert.match(shared, /sleep 4242/, `container a sees container b's process:\n${shared}`);
  assert.match(shared, /^\s*1\s+.*TERM INT/m, `PID 1 is the sandbox's pause process:\n${shared}`);
  const own = await exec(node, 'own-pid', ['ps', '-o', 'pid,args'], 'a');
  assert.doesNotMatch(own, /sleep 4242/, `without sharing, container a sees only its own processes:\n${own}`);
}

export const containerSettingsThemes: Theme[] = [
  ['command, args, workingDir, runAsUser and a read-only root filesystem', containerSettings],
  ['resources become cgroup limits; capabilities, no_new_privs, fsGroup', resourcesAndPrivileges],
  ['DNS settings, hostname/subdomain, hostNetwork', podNetworkSettings],
  ['runAsNonRoot refuses an image that runs as root', runAsNonRootRefusesRoot],
  ["a hostPort answers on the node's loopback", hostPortOnLoopback],
  ["shareProcessNamespace: containers see each other's processes", sharedProcessNamespace],
];
