// Pulling from a registry in real containers: Debian's docker-registry on 127.0.0.1 (a
// port the kernel picks, htpasswd auth), a Skiff-built busybox image pushed into it, and
// `skiff server` with its supervised containerd. A pod with `imagePullPolicy: Always` and
// no imagePullSecrets fails to pull (ErrImagePull, then ImagePullBackOff, with the
// kubelet's events); the same pod with a kubernetes.io/dockerconfigjson secret runs.
// Then image GC, on the real containerd, removes the pulled image once no container uses
// it and keeps the built-in ones; and the Node carries the host's boot id and the
// kubelet's condition reasons.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { busyboxImage } from '../../src/images/busybox.js';
import { pushImage } from '../../src/images/registry-push.js';
import { keepImage } from '../../src/kubelet/node/host-monitors.js';
import { ImageGarbageCollector } from '../../src/kubelet/node/image-gc.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';
import { waitFor as until } from '../helpers/wait.js';
import { registryMissing, startRegistry, type LocalRegistry } from '../helpers/registry.js';

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
    command: [sh, -c, 'echo pulled-from-$PULLED_FROM; sleep 3600']
`;

async function getPod(node: RealNode, name: string): Promise<Pod | undefined> {
  const r = await node.kubectl(['get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
}

const waitingReason = (p: Pod | undefined) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason;

test('a pod pulls its image from a local registry with imagePullSecrets', { timeout: 300_000 }, async (t) => {
  const why = realNodeMissing() ?? registryMissing({ auth: true });
  if (why) return t.skip(why);
  let reg: LocalRegistry | undefined;
  let node: RealNode | undefined;
  try {
    reg = await startRegistry({ user: 'puller', password: 'pull-s3cret' });
    // Its own config (one more env var) so that it is not the same image as the built-in
    // skiff.local/busybox, which containerd would list as one image with both names.
    const base = busyboxImage();
    const spec = { ...base, config: { ...base.config, env: ['PATH=/bin', 'PULLED_FROM=registry'] } };
    const pushed = await pushImage(spec, {
      registry: reg.host,
      repository: 'skiff/busybox',
      tag: '1.35',
      plainHttp: true,
      username: 'puller',
      password: 'pull-s3cret',
    });
    node = await startRealNode();
    const n = node;
    const logs = () => `${n.logs()}\n--- registry ---\n${reg!.logs().slice(-3000)}`;
    const image = `${reg.host}/skiff/busybox:1.35`;

    // Without credentials the registry answers 401: ErrImagePull, then the back-off.
    assert.equal((await node.kubectl(['apply', '-f', '-'], { input: pod('anon', image) })).code, 0);
    const failed = await until(
      'ErrImagePull for the pod without credentials',
      60_000,
      async () => {
        const p = await getPod(n, 'anon');
        return waitingReason(p) === 'ErrImagePull' ? p : undefined;
      },
      logs,
    );
    assert.match(failed.status!.containerStatuses![0]!.state!.waiting!.message ?? '', /401 Unauthorized|unauthorized|authorization/i);
    await until(
      'ImagePullBackOff for the pod without credentials',
      60_000,
      async () => (waitingReason(await getPod(n, 'anon')) === 'ImagePullBackOff' ? true : undefined),
      logs,
    );
    const evr = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=anon', '-o', 'json']);
    const events = (JSON.parse(evr.stdout) as { items: Event[] }).items.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      events.some((e) => e.startsWith(`Pulling: Pulling image "${image}"`)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e.startsWith(`Failed: Failed to pull image "${image}"`)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e === 'Failed: Error: ErrImagePull'),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => e === `BackOff: Back-off pulling image "${image}"`),
      events.join('\n'),
    );

    // With a dockerconfigjson secret for the registry the same pod runs.
    const secret = await node.kubectl([
      'create',
      'secret',
      'docker-registry',
      'regcred',
      `--docker-server=${reg.host}`,
      '--docker-username=puller',
      '--docker-password=pull-s3cret',
    ]);
    assert.equal(secret.code, 0, secret.stderr);
    assert.equal((await node.kubectl(['apply', '-f', '-'], { input: pod('authed', image, 'regcred') })).code, 0);
    let last: Pod | undefined;
    const running = await until(
      'the pod with imagePullSecrets Running',
      90_000,
      async () => {
        last = await getPod(n, 'authed');
        return last?.status?.phase === 'Running' ? last : undefined;
      },
      () => `${JSON.stringify(last?.status)}\n${logs()}`,
    );
    const cs = running.status!.containerStatuses![0]!;
    assert.equal(cs.image, image);
    assert.ok(cs.imageID.endsWith(pushed.digest), `imageID ${cs.imageID} names the pushed manifest ${pushed.digest}`);
    const out = await until(
      'the container log',
      30_000,
      async () => {
        const r = await n.kubectl(['logs', 'authed']);
        return r.stdout.includes('pulled-from-') ? r.stdout : undefined;
      },
      logs,
    );
    assert.match(out, /pulled-from-registry/, 'the container runs the pushed image, with its env');
    const pulled = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=authed,reason=Pulled', '-o', 'jsonpath={.items[*].message}']);
    assert.match(pulled.stdout, new RegExp(`Successfully pulled image "${image.replace(/[.]/g, '\\.')}" in `));

    // Still failing without a secret: the registry, not a cache, decides.
    assert.notEqual(waitingReason(await getPod(n, 'anon')), undefined);

    const nodeObj = JSON.parse((await node.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0];
    assert.equal(nodeObj.status.nodeInfo.bootID, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const reasons = Object.fromEntries((nodeObj.status.conditions as { type: string; reason: string }[]).map((c) => [c.type, c.reason]));
    assert.match(reasons.DiskPressure!, /^KubeletHas(No)?DiskPressure$/);
    assert.match(reasons.MemoryPressure!, /^KubeletHas(Sufficient|Insufficient)Memory$/);

    // Image GC on the real runtime: while the pod runs its image stays; once it is gone the
    // image is the one removed. Only the fullness of the filesystem is made up (90 %).
    const cri = await node.cri();
    try {
      const gc = new ImageGarbageCollector({
        runtime: cri,
        keep: keepImage,
        policy: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 0 },
        statfs: () => ({ capacityBytes: 100 * 2 ** 30, availableBytes: 10 * 2 ** 30 }),
      });
      const busy = await gc.garbageCollect();
      assert.deepEqual(busy.removed, [], "the running pod's image and the built-in images stay");
      const del = await node.kubectl(['delete', 'pod', 'anon', 'authed', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
      assert.equal(del.code, 0, del.stderr);
      await until("the pod's containers to be removed", 30_000, async () => ((await cri.listContainers()).length === 0 ? true : undefined), logs);
      const r = await gc.garbageCollect();
      assert.deepEqual(r.removed, [image]);
      assert.equal(await cri.imageStatus(image), undefined, 'the image is gone from containerd');
      for (const kept of ['skiff.local/pause:3.10', 'skiff.local/busybox:1.35']) assert.ok(await cri.imageStatus(kept), `${kept} kept`);
    } finally {
      await cri.close();
    }
  } finally {
    await node?.cleanup();
    await reg?.stop();
  }
});
