// The real kubectl against `skiff server --simulated-nodes 3`: Deployments roll out, heal,
// roll back, pause, and are deleted with each propagation policy, as against Kubernetes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { resolve } from 'node:path';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';

const FIXTURE = resolve(new URL('../../../test/fixtures/httpd-deployment.yaml', import.meta.url).pathname);
const D = 'httpd-deployment';
let s: TestServer;

before(async () => {
  s = await startServer({ args: ['--simulated-nodes', '3'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface PodLite {
  name: string;
  ready: boolean;
  deleting: boolean;
  image: string;
  owner?: string;
}

async function pods(selector = 'app=httpd_server'): Promise<PodLite[]> {
  const list = JSON.parse(await ok(['get', 'pods', '-l', selector, '-o', 'json']));
  return list.items.map((p: any) => ({
    name: p.metadata.name,
    ready: p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: !!p.metadata.deletionTimestamp,
    image: p.spec.containers[0].image,
    owner: p.metadata.ownerReferences?.[0]?.name,
  }));
}

async function readyReplicas(): Promise<string> {
  return ok(['get', 'deploy', D, '-o', 'jsonpath={.status.readyReplicas}/{.status.updatedReplicas}/{.status.replicas}']);
}

/** `kubectl get pods -w -o json --output-watch-events`, parsed as it streams; reports each state of the pod set. */
function watchPods(selector: string, onState: (pods: Map<string, any>) => void): { stop(): void } {
  const child = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'get', 'pods', '-l', selector, '-w', '-o', 'json', '--output-watch-events'], {
    env: { ...process.env, KUBECONFIG: s.kubeconfig },
  });
  const state = new Map<string, any>();
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    // With --output-watch-events each event is one compact JSON line.
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const ev = JSON.parse(line);
      if (ev.type === 'DELETED') state.delete(ev.object.metadata.name);
      else state.set(ev.object.metadata.name, ev.object);
      onState(state);
    }
  });
  return { stop: () => child.kill() };
}

test('apply the httpd Deployment → 2/2; scale to 5; a deleted pod is replaced within 2 s', { timeout: 60_000 }, async () => {
  await ok(['apply', '-f', FIXTURE]);
  await until('2/2 ready', 15_000, async () => (await readyReplicas()) === '2/2/2');
  const table = await ok(['get', 'deploy', D]);
  assert.match(table, new RegExp(`${D}\\s+2/2\\s+2\\s+2`));
  await ok(['scale', `deploy/${D}`, '--replicas=5']);
  await until('5/5 ready', 15_000, async () => (await readyReplicas()) === '5/5/5');
  const before = await pods();
  const victim = before[0]!.name;
  const t0 = Date.now();
  await ok(['delete', 'pod', victim, '--wait=false']);
  await until('a replacement pod', 2000, async () => {
    const now = (await pods()).filter((p) => !p.deleting);
    return now.length === 5 && !now.some((p) => p.name === victim);
  });
  assert.ok(Date.now() - t0 <= 2000);
});

test('kubectl set image rolls within maxSurge/maxUnavailable; history, undo, pause, resume', { timeout: 90_000 }, async () => {
  await until('5/5 ready', 15_000, async () => (await readyReplicas()) === '5/5/5');
  // 5 replicas with the default 25 %: maxSurge 2 (rounded up), maxUnavailable 1 (rounded down).
  const seen: string[] = [];
  let states = 0;
  const w = watchPods('app=httpd_server', (m) => {
    const live = [...m.values()].filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    states++;
    if (live.length > 7) seen.push(`total ${live.length} > 7`);
    if (states > 5 && ready < 4) seen.push(`ready ${ready} < 4`);
  });
  try {
    await new Promise((r) => setTimeout(r, 1000)); // the watch lists the current pods first
    await ok(['set', 'image', `deploy/${D}`, 'httpd-app=httpd:2.4']);
    const out = await ok(['rollout', 'status', `deploy/${D}`, '--timeout=60s']);
    assert.match(out, /successfully rolled out/);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    w.stop();
  }
  assert.ok(states > 10, `the watcher saw the rollout (${states} states)`);
  assert.deepEqual(seen, []);
  assert.ok((await pods()).filter((p) => !p.deleting).every((p) => p.image === 'httpd:2.4'));

  const history = await ok(['rollout', 'history', `deploy/${D}`]);
  const revisions = history
    .split('\n')
    .filter((l) => /^\d+\s/.test(l))
    .map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(revisions, ['1', '2']);

  await ok(['rollout', 'undo', `deploy/${D}`]);
  await ok(['rollout', 'status', `deploy/${D}`, '--timeout=60s']);
  assert.equal(await ok(['get', 'deploy', D, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'httpd');
  assert.equal(await ok(['get', 'deploy', D, '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}']), '3');
  assert.equal((await ok(['get', 'rs', '-l', 'app=httpd_server', '-o', 'name'])).trim().split('\n').length, 2, 'undo reuses the first ReplicaSet');

  await ok(['rollout', 'pause', `deploy/${D}`]);
  await ok(['set', 'image', `deploy/${D}`, 'httpd-app=httpd:3']);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await ok(['get', 'rs', '-l', 'app=httpd_server', '-o', 'name'])).trim().split('\n').length, 2, 'no rollout while paused');
  const cond = await ok(['get', 'deploy', D, '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}']);
  assert.equal(cond, 'DeploymentPaused');
  await ok(['rollout', 'resume', `deploy/${D}`]);
  await ok(['rollout', 'status', `deploy/${D}`, '--timeout=60s']);
  assert.ok((await pods()).filter((p) => !p.deleting).every((p) => p.image === 'httpd:3'));

  const describe = await ok(['describe', 'deploy', D]);
  assert.match(describe, /ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set httpd-deployment-\w+ from 0 to 2/);
  assert.match(describe, /Scaled down replica set httpd-deployment-\w+ from/);
});

test('kubectl delete deploy removes ReplicaSets and pods; --cascade=orphan keeps them; --cascade=foreground deletes pods first', {
  timeout: 90_000,
}, async () => {
  await ok(['delete', 'deploy', D]);
  await until('ReplicaSets and pods gone', 15_000, async () => (await ok(['get', 'rs,pods', '-l', 'app=httpd_server', '-o', 'name'])).trim() === '');

  await ok(['create', 'deployment', 'keep', '--image=httpd', '--replicas=2']);
  await until('keep ready', 15_000, async () => (await ok(['get', 'deploy', 'keep', '-o', 'jsonpath={.status.readyReplicas}'])) === '2');
  await ok(['delete', 'deploy', 'keep', '--cascade=orphan']);
  await new Promise((r) => setTimeout(r, 1500));
  const rs = JSON.parse(await ok(['get', 'rs', '-l', 'app=keep', '-o', 'json'])).items;
  assert.equal(rs.length, 1, 'the ReplicaSet stays');
  assert.equal(rs[0].metadata.ownerReferences, undefined, 'and loses its owner');
  assert.equal((await pods('app=keep')).filter((p) => !p.deleting).length, 2, 'the pods stay');

  await ok(['create', 'deployment', 'fg', '--image=httpd', '--replicas=3']);
  await until('fg ready', 15_000, async () => (await ok(['get', 'deploy', 'fg', '-o', 'jsonpath={.status.readyReplicas}'])) === '3');
  let podsWhileOwnerGone = -1;
  const watcher = (async () => {
    for (let i = 0; i < 200; i++) {
      const r = await s.kubectl(['get', 'deploy', 'fg', '-o', 'name']);
      if (r.code !== 0) {
        podsWhileOwnerGone = (await pods('app=fg')).length;
        return;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  await ok(['delete', 'deploy', 'fg', '--cascade=foreground', '--timeout=60s']);
  await watcher;
  assert.equal(podsWhileOwnerGone, 0, 'when the Deployment is gone its pods are already gone');
  assert.equal((await ok(['get', 'rs', '-l', 'app=fg', '-o', 'name'])).trim(), '');
});
