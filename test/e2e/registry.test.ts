// Pulling from a registry in real containers: Debian's docker-registry on 127.0.0.1 (a
// port the kernel picks, htpasswd auth), a Skiff-built busybox image pushed into it, and
// `skiff server` with its supervised containerd. A pod with `imagePullPolicy: Always` and
// no imagePullSecrets fails to pull (ErrImagePull, then ImagePullBackOff, with the
// kubelet's events); the same pod with a kubernetes.io/dockerconfigjson secret runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { busyboxImage } from '../../src/images/busybox.js';
import { pushImage } from '../../src/images/registry-push.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';
import { registryMissing, startRegistry, type LocalRegistry } from '../helpers/registry.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pod = (name: string, image: string, secret?: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  ${secret ? `imagePullSecrets: [{name: ${secret}}]` : ''}
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: Always
    command: [sh, -c, 'echo pulled-and-running; sleep 3600']
`;

async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
}

async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>, logs: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}\n--- logs (tail) ---\n${logs().slice(-6000)}`);
}

const waitingReason = (p: Pod | undefined) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason;

test('a pod pulls its image from a local registry with imagePullSecrets', { timeout: 300_000 }, async (t) => {
  const why = realNodeMissing() ?? registryMissing({ auth: true });
  if (why) return t.skip(why);
  let reg: LocalRegistry | undefined;
  let node: RealNode | undefined;
  try {
    reg = await startRegistry({ user: 'puller', password: 'pull-s3cret' });
    const pushed = await pushImage(busyboxImage(), { registry: reg.host, repository: 'skiff/busybox', tag: '1.35', plainHttp: true, username: 'puller', password: 'pull-s3cret' });
    node = await startRealNode();
    const n = node;
    const logs = () => `${n.logs()}\n--- registry ---\n${reg!.logs().slice(-3000)}`;
    const image = `${reg.host}/skiff/busybox:1.35`;

    // Without credentials the registry answers 401: ErrImagePull, then the back-off.
    assert.equal((await node.kubectl(['apply', '-f', '-'], { input: pod('anon', image) })).code, 0);
    const failed = await until('ErrImagePull for the pod without credentials', 60_000, async () => {
      const p = await getPod(n, 'anon');
      return waitingReason(p) === 'ErrImagePull' ? p : undefined;
    }, logs);
    assert.match(failed.status!.containerStatuses![0]!.state!.waiting!.message ?? '', /401 Unauthorized|unauthorized|authorization/i);
    await until('ImagePullBackOff for the pod without credentials', 60_000, async () => (waitingReason(await getPod(n, 'anon')) === 'ImagePullBackOff' ? true : undefined), logs);
    const evr = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=anon', '-o', 'json']);
    const events = (JSON.parse(evr.stdout) as { items: Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(events.some((e) => e.startsWith(`Pulling: Pulling image "${image}"`)), events.join('\n'));
    assert.ok(events.some((e) => e.startsWith(`Failed: Failed to pull image "${image}"`)), events.join('\n'));
    assert.ok(events.some((e) => e === 'Failed: Error: ErrImagePull'), events.join('\n'));
    assert.ok(events.some((e) => e === `BackOff: Back-off pulling image "${image}"`), events.join('\n'));

    // With a dockerconfigjson secret for the registry the same pod runs.
    const secret = await node.kubectl(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${reg.host}`, '--docker-username=puller', '--docker-password=pull-s3cret']);
    assert.equal(secret.code, 0, secret.stderr);
    assert.equal((await node.kubectl(['apply', '-f', '-'], { input: pod('authed', image, 'regcred') })).code, 0);
    let last: Pod | undefined;
    const running = await until('the pod with imagePullSecrets Running', 90_000, async () => {
      last = await getPod(n, 'authed');
      return last?.status?.phase === 'Running' ? last : undefined;
    }, () => `${JSON.stringify(last?.status)}\n${logs()}`);
    const cs = running.status!.containerStatuses![0]!;
    assert.equal(cs.image, image);
    assert.ok(cs.imageID.endsWith(pushed.digest), `imageID ${cs.imageID} names the pushed manifest ${pushed.digest}`);
    const out = await until('the container log', 30_000, async () => {
      const r = await n.kubectl(['logs', 'authed']);
      return r.stdout.includes('pulled-and-running') ? r.stdout : undefined;
    }, logs);
    assert.match(out, /pulled-and-running/);
    const pulled = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=authed,reason=Pulled', '-o', 'jsonpath={.items[*].message}']);
    assert.match(pulled.stdout, new RegExp(`Successfully pulled image "${image.replace(/[.]/g, '\\.')}" in `));

    // Still failing without a secret: the registry, not a cache, decides.
    assert.notEqual(waitingReason(await getPod(n, 'anon')), undefined);
    const del = await node.kubectl(['delete', 'pod', 'anon', 'authed', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
  } finally {
    await node?.cleanup();
    await reg?.stop();
  }
});
