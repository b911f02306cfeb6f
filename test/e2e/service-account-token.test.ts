// A real pod uses its service-account token: the ServiceAccount admission plugin mounts the
// projected kube-api-access volume, the node agent fills it with a bound token from
// TokenRequest, the CA from kube-root-ca.crt and the namespace, and the token lists pods
// from the pod's network namespace through the `kubernetes` Service (cluster DNS names it,
// the service proxy forwards it to the apiserver). The HTTPS request is busybox wget run
// in the pod's network namespace from the host: the same busybox binary run inside the
// container's mount namespace fails its TLS handshake (alert 40) against any server, which
// is a question for the container runtime, not for authentication.
// RBAC holds the account to its binding: it lists pods where a RoleBinding lets it view,
// and gets 403 for the Secrets of kube-system.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { netnsClusterMissing, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.js';
import { waitFor } from '../helpers/wait.js';

const POD = `
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: skiff.local/busybox:1.35, imagePullPolicy: IfNotPresent, command: [sleep, 'SECONDS']}
`;
// A sleep length of this run only, to find the container's process on the host.
const SLEEP = String(36_000 + Math.floor(Math.random() * 9_000));

async function inPod(c: NetnsCluster, script: string): Promise<string> {
  const r = await c.kubectl(['exec', 'reader', '--', 'sh', '-c', script], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${script}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

test('a pod reads its projected token and lists pods through kubernetes.default', { timeout: 600_000 }, async (t) => {
  const why = netnsClusterMissing();
  if (why) return t.skip(why);
  const c = await startNetnsCluster({ agents: 0, proxyMode: 'iptables' });
  try {
    const applied = await c.kubectl(['apply', '-f', '-'], { input: POD.replace('SECONDS', SLEEP) });
    assert.equal(applied.code, 0, applied.stderr);
    const pod = await waitFor(
      'the reader pod Running',
      180_000,
      async () => {
        const r = await c.kubectl(['get', 'pod', 'reader', '-o', 'json']);
        const p = r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
        return p?.status?.phase === 'Running' ? p : undefined;
      },
      () => c.logs(),
      1000,
    );
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    assert.equal((await inPod(c, `cat ${dir}/namespace`)).trim(), 'default');
    const caInPod = await inPod(c, `cat ${dir}/ca.crt`);
    const ca = (await c.kubectl(['get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}'])).stdout;
    assert.equal(caInPod.trim(), ca.trim());

    const token = (await inPod(c, `cat ${dir}/token`)).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, 'system:serviceaccount:default:default');
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'reader', uid: pod.metadata!.uid });
    assert.equal(claims.exp - claims.iat, 3607);

    // The cluster DNS names the kubernetes Service, whose cluster IP the pod then reaches.
    const clusterIP = (await c.kubectl(['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim();
    assert.match(await inPod(c, 'nslookup kubernetes.default.svc.cluster.local'), new RegExp(`Address: ${clusterIP.replace(/\./g, '\\.')}`));
    const pid = execFileSync('pgrep', ['-n', '-f', `^sleep ${SLEEP}$`])
      .toString()
      .trim();
    // busybox wget has no CA option: the server's identity is not what this checks, the token is.
    const wget = (headers: string[], path = '/api/v1/namespaces/default/pods') =>
      execFileSync(
        'nsenter',
        ['-t', pid, '-n', 'busybox', 'timeout', '20', 'busybox', 'wget', '--no-check-certificate', '-qO-', ...headers, `https://${clusterIP}${path}`],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    const bearer = ['--header', `Authorization: Bearer ${token}`];
    // Not bound to anything yet: 403.
    assert.throws(
      () => wget(bearer),
      (err: { stderr?: string }) => /403 Forbidden/.test(err.stderr ?? ''),
    );
    const bound = await c.kubectl(['create', 'rolebinding', 'reader-view', '--clusterrole=view', '--serviceaccount=default:default']);
    assert.equal(bound.code, 0, bound.stderr);
    let listed = '';
    for (let i = 0; i < 50 && !listed; i++) {
      try {
        listed = wget(bearer);
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const pods = JSON.parse(listed) as { kind: string; items: Pod[] };
    assert.equal(pods.kind, 'PodList');
    assert.ok(pods.items.some((p) => p.metadata?.name === 'reader'));
    // Beyond the binding: 403. Without the token: anonymous, also 403.
    assert.throws(
      () => wget(bearer, '/api/v1/namespaces/kube-system/secrets'),
      (err: { stderr?: string }) => /403 Forbidden/.test(err.stderr ?? ''),
    );
    assert.throws(
      () => wget([]),
      (err: { stderr?: string }) => /403 Forbidden/.test(err.stderr ?? ''),
    );

    // Deleting the pod invalidates the token it held.
    const del = await c.kubectl(['delete', 'pod', 'reader', '--wait=true', '--timeout=120s']);
    assert.equal(del.code, 0, del.stderr);
    const review = await c.kubectl(['create', '-o', 'json', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
    });
    assert.equal(review.code, 0, review.stderr);
    assert.notEqual(JSON.parse(review.stdout).status.authenticated, true);
  } finally {
    await c.cleanup();
  }
});
