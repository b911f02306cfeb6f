// A second node joins: a real `skiff server` with its own node and a `skiff agent`, each in
// its own network namespace on one segment (netns-cluster.ts). The agent has its own data
// dir, containerd and CNI bridge (inside its namespace). A
// Deployment spread over kubernetes.io/hostname runs on both nodes with pod IPs from each
// node's pod CIDR, and `kubectl logs` / `kubectl exec` reach a pod on the joined node (the
// apiserver calls the agent's HTTPS server on its address in the namespace). Cross-node
// pod traffic is pod-network.test.ts's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { bootstrapTokenOf, parseJoinToken } from '../../src/apiserver/auth/join-token.js';
import { kubectlAt } from '../helpers/server.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.js';
import { waitFor as until } from '../helpers/wait.js';

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 4
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}
      containers:
      - name: main
        image: skiff.local/busybox:1.35
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'echo hello from $(hostname); exec sleep 3600']
`;

async function getJson<T>(node: NetnsCluster, args: string[]): Promise<T> {
  const r = await node.kubectl(['get', ...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const ready = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
/** The first three octets of a /24 pod CIDR, e.g. `10.170.1.`. */
const prefix24 = (cidr: string) => `${cidr.split('/')[0]!.split('.').slice(0, 3).join('.')}.`;

test('a second node joins from its own network namespace; a Deployment spreads over both; logs and exec reach its pods', { timeout: 300_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  let node: NetnsCluster | undefined;
  try {
    node = await startNetnsCluster({ agents: 1, proxy: false });
    const c = node;
    const logs = c.logs;
    const serverIP = c.server.ip;
    const agentIP = c.agents[0]!.ip;
    const agent = c.agents[0]!.agent;
    const N2 = c.agents[0]!.name;
    const nodes = await until(
      'two Ready nodes with pod CIDRs',
      60_000,
      async () => {
        const list = (await getJson<{ items: Node[] }>(node!, ['nodes'])).items;
        return list.length === 2 && list.every((n) => ready(n) && n.spec?.podCIDR) ? list : undefined;
      },
      logs,
    );
    const n2 = nodes.find((n) => n.metadata!.name === N2)!;
    const n1 = nodes.find((n) => n.metadata!.name !== N2)!;
    assert.match(n2.status!.nodeInfo!.containerRuntimeVersion, /^containerd:\/\/1\./);
    assert.deepEqual(n2.status!.addresses!.find((a) => a.type === 'InternalIP')?.address, agentIP);
    assert.notEqual(n2.spec!.podCIDR, n1.spec!.podCIDR, 'each node has its own pod CIDR');
    // The agent's bridge lives in its namespace, not on the host.
    assert.equal(spawnSync('ip', ['link', 'show', agent.bridge], { stdio: 'ignore' }).status !== 0, true, 'no bridge of the agent on the host');

    const applied = await node.kubectl(['apply', '-f', '-'], { input: DEPLOYMENT });
    assert.equal(applied.code, 0, applied.stderr);
    const pods = await until(
      '4 pods Running with pod IPs',
      120_000,
      async () => {
        const ps = (await getJson<{ items: Pod[] }>(node!, ['pods', '-l', 'app=spread'])).items.filter(
          (p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp,
        );
        return ps.length === 4 ? ps : undefined;
      },
      logs,
    );
    const cidrOf = new Map([
      [n1.metadata!.name!, n1.spec!.podCIDR!],
      [n2.metadata!.name!, n2.spec!.podCIDR!],
    ]);
    const perNode = new Map<string, number>();
    for (const p of pods) {
      const nodeName = p.spec!.nodeName!;
      perNode.set(nodeName, (perNode.get(nodeName) ?? 0) + 1);
      assert.ok(
        p.status!.podIP!.startsWith(prefix24(cidrOf.get(nodeName)!)),
        `pod ${p.metadata!.name} on ${nodeName} has IP ${p.status!.podIP} from ${cidrOf.get(nodeName)}`,
      );
      assert.equal(p.status!.hostIP, nodeName === N2 ? agentIP : serverIP);
    }
    assert.deepEqual([...perNode.values()], [2, 2], `spread evenly: ${JSON.stringify([...perNode])}`);

    const onN2 = pods.find((p) => p.spec!.nodeName === N2)!.metadata!.name!;
    const log = await until(
      'the pod on n2 to have logged',
      20_000,
      async () => {
        const r = await node!.kubectl(['logs', onN2]);
        return r.code === 0 && r.stdout.trim() ? r : undefined;
      },
      logs,
    );
    assert.equal(log.stdout.trim(), `hello from ${onN2}`);
    const exec = await node.kubectl(['exec', onN2, '--', 'cat', '/etc/hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), onN2);
    // The sandbox really is n2's: its containerd in the namespace has it.
    const cri = await agent.cri();
    try {
      const names = (await cri.listPodSandbox()).map((s) => s.metadata.name).sort();
      assert.deepEqual(
        names,
        pods
          .filter((p) => p.spec!.nodeName === N2)
          .map((p) => p.metadata!.name!)
          .sort(),
      );
    } finally {
      await cri.close();
    }

    // The joined agent watches its pods' ConfigMaps one by one as its node: a change reaches the running container.
    const cmPod = `apiVersion: v1
kind: ConfigMap
metadata: {name: joined-cm}
data: {colour: blue}
---
apiVersion: v1
kind: Pod
metadata: {name: with-cm}
spec:
  nodeName: ${N2}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: skiff.local/busybox:1.35, imagePullPolicy: IfNotPresent, command: [sleep, '3600'], volumeMounts: [{name: cm, mountPath: /cm}]}
  volumes:
  - {name: cm, configMap: {name: joined-cm}}
`;
    const cmApplied = await node.kubectl(['apply', '-f', '-'], { input: cmPod });
    assert.equal(cmApplied.code, 0, cmApplied.stderr);
    const readColour = async () => {
      const r = await node!.kubectl(['exec', 'with-cm', '--', 'cat', '/cm/colour']);
      return r.code === 0 ? r.stdout.trim() : undefined;
    };
    await until('with-cm reads blue', 60_000, async () => ((await readColour()) === 'blue' ? true : undefined), logs);
    const patched = await node.kubectl(['patch', 'configmap', 'joined-cm', '--type', 'merge', '-p', '{"data":{"colour":"green"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    const t0 = Date.now();
    await until(
      'the ConfigMap change inside the container on the joined node',
      60_000,
      async () => ((await readColour()) === 'green' ? true : undefined),
      logs,
    );
    t.diagnostic(`joined node: the ConfigMap change showed up in the container after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await node.kubectl(['delete', 'pod', 'with-cm', '--wait=false']);

    // The agent used the join token only to get its own certificate: its client CSR came from
    // the bootstrap token, every later request (its serving CSR) from system:node:<name>.
    const csrs = (await getJson<{ items: CertificateSigningRequest[] }>(node, ['csr'])).items;
    const bootId = bootstrapTokenOf(parseJoinToken(c.token).secret).id;
    const clientCsr = csrs.find((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && x.spec.username === `system:bootstrap:${bootId}`);
    assert.ok(clientCsr?.status?.certificate, `a signed client CSR from the bootstrap token: ${JSON.stringify(csrs.map((x) => x.spec))}`);
    assert.equal(new X509Certificate(Buffer.from(clientCsr!.status!.certificate!, 'base64')).subject, `O=system:nodes\nCN=system:node:${N2}`);
    const servingCsr = csrs.find((x) => x.spec.signerName === 'kubernetes.io/kubelet-serving');
    assert.equal(servingCsr?.spec.username, `system:node:${N2}`, 'the agent speaks as its node, not with the token');
    assert.ok(servingCsr?.spec.groups?.includes('system:nodes'));
    assert.ok(servingCsr?.status?.certificate, 'its serving certificate is signed');
    // Its DNS and ingress got certificates of their own, asked for as the node and auto-approved
    // (no proxy here: this cluster runs none, so no proxy certificate was asked for).
    const componentCsrs = csrs.filter((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client');
    const subjects = componentCsrs.map((x) => {
      assert.equal(x.spec.username, `system:node:${N2}`, 'asked for by the node');
      assert.ok(x.status?.certificate, `signed: ${JSON.stringify(x.status)}`);
      return new X509Certificate(Buffer.from(x.status!.certificate!, 'base64')).subject;
    });
    assert.deepEqual(subjects.sort(), [`O=system:skiff-dns\nCN=system:skiff-dns:${N2}`, `O=system:skiff-ingress\nCN=system:skiff-ingress:${N2}`]);
    // The node's own certificate may no longer write EndpointSlices (it could redirect any
    // Service's traffic); the DNS's identity wrote this node's kube-dns slice.
    const pki = join(agent.dataDir, 'agent', 'pki');
    const asNodeConfig = join(agent.dataDir, 'as-node.kubeconfig');
    const serverUrl = /server: (https:\/\/\S+)/.exec(readFileSync(c.server.real.kubeconfig, 'utf8'))![1]!;
    writeFileSync(
      asNodeConfig,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: '${serverUrl}', certificate-authority: '${join(agent.dataDir, 'server-ca.crt')}'}}]
users: [{name: node, user: {client-certificate: '${join(pki, 'kubelet-client.crt')}', client-key: '${join(pki, 'kubelet-client.key')}'}}]
contexts: [{name: c, context: {cluster: c, user: node}}]
current-context: c
`,
      { mode: 0o600 },
    );
    const asNode = kubectlAt(asNodeConfig, agent.dataDir);
    const whoami = await asNode(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(whoami.stdout, `system:node:${N2}`, whoami.stderr);
    const slice = await getJson<EndpointSlice>(node, ['endpointslice', `kube-dns-${N2}`, '-n', 'kube-system', '--show-managed-fields']);
    assert.deepEqual(
      slice.metadata?.managedFields?.map((f) => f.manager),
      ['coredns'],
    );
    // Pointing the cluster DNS at another address (update), or adding a slice of its own (create): refused.
    const evil = join(agent.dataDir, 'evil-slice.json');
    writeFileSync(evil, JSON.stringify({ ...slice, endpoints: [{ addresses: ['10.0.0.66'] }] }));
    const slicesPath = '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices';
    const update = await asNode(['replace', '--raw', `${slicesPath}/kube-dns-${N2}`, '-f', evil]);
    assert.notEqual(update.code, 0);
    assert.match(update.stderr, /Forbidden/);
    assert.match(update.stderr, new RegExp(`User \\\\?"system:node:${N2}\\\\?" cannot update resource \\\\?"endpointslices\\\\?"`));
    writeFileSync(
      evil,
      JSON.stringify({ ...slice, metadata: { name: 'kube-dns-evil', labels: slice.metadata?.labels }, endpoints: [{ addresses: ['10.0.0.66'] }] }),
    );
    const create = await asNode(['create', '--raw', slicesPath, '-f', evil]);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, new RegExp(`User \\\\?"system:node:${N2}\\\\?" cannot create resource \\\\?"endpointslices\\\\?"`));
    for (const [as, can] of [
      [[`--as=system:node:${N2}`, '--as-group=system:nodes'], 'no'],
      [[`--as=system:skiff-dns:${N2}`, '--as-group=system:skiff-dns'], 'yes'],
      [[`--as=system:skiff-ingress:${N2}`, '--as-group=system:skiff-ingress'], 'no'],
    ] as const) {
      const r = await node.kubectl(['auth', 'can-i', 'update', 'endpointslices.discovery.k8s.io', '-n', 'kube-system', ...as]);
      assert.equal(r.stdout.trim(), can, `${as.join(' ')}: ${r.stderr}`);
    }
    for (const f of ['kubelet-client.key', 'kubelet-client.crt', 'kubelet-serving.key', 'dns-client.key', 'ingress-client.key']) {
      const mode = statSync(join(agent.dataDir, 'agent', 'pki', f)).mode & 0o777;
      assert.equal(mode, 0o600, `${f} is 0600`);
    }
    // Its HTTPS port listens on the node IP only.
    const listening = await c.exec(N2, ['ss', '-ltnH', `sport = :${c.agents[0]!.kubeletPort}`]);
    assert.match(listening.stdout, new RegExp(`${agentIP.replace(/\./g, '\\.')}:${c.agents[0]!.kubeletPort}`));
    assert.doesNotMatch(listening.stdout, /(0\.0\.0\.0|\*|\[::\]):\d+/);

    // Restarted without any token, the agent comes back on its certificate alone.
    await agent.stop();
    rmSync(agent.tokenFile);
    await agent.start();
    assert.doesNotMatch(agent.logs(), /obtained through the CSR API[\s\S]*obtained through the CSR API/, 'no second bootstrap');
    const after = (await getJson<{ items: CertificateSigningRequest[] }>(node, ['csr'])).items;
    assert.equal(after.length, csrs.length, 'no new certificate request after the restart');
    const back = await until(
      'n2 Ready again after the restart',
      60_000,
      async () => {
        const n = await getJson<Node>(node!, ['node', N2]);
        const hb = n.status?.conditions?.find((x) => x.type === 'Ready')?.lastHeartbeatTime;
        return ready(n) && hb && Date.parse(hb) > Date.now() - 30_000 ? n : undefined;
      },
      logs,
    );
    assert.ok(back);

    const del = await node.kubectl(['delete', 'deployment/spread', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    await until('all pods gone', 60_000, async () => ((await getJson<{ items: Pod[] }>(node!, ['pods'])).items.length === 0 ? true : undefined), logs);
    const cri2 = await agent.cri();
    try {
      await until('no sandbox left on n2', 30_000, async () => ((await cri2.listPodSandbox()).length === 0 ? true : undefined), logs);
    } finally {
      await cri2.close();
    }
  } finally {
    await node?.cleanup();
  }
});
