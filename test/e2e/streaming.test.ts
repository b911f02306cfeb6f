// kubectl logs, exec (also -it through a pseudo-terminal), attach, cp and port-forward
// against real containers: `skiff server` with its supervised containerd (the real-node
// helper), the real kubectl, and the node agent's HTTPS server relaying to containerd's
// streaming server. Traffic goes to loopback only (kubectl ↔ apiserver ↔ agent ↔ containerd;
// port-forward enters the pod through containerd).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubectlResult } from '../helpers/server.js';

interface RealNodeLike {
  kubeconfig: string;
  dataDir: string;
  logs(): string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  cleanup(): Promise<void>;
}
interface RealNodeModule {
  realNodeMissing(): string | undefined;
  startRealNode(extraArgs?: string[]): Promise<RealNodeLike>;
}

// The helper that starts `skiff server` on containerd comes with the CRI runtime; loaded by
// path so that this file builds (and skips, saying why) where that part is absent.
async function realNodeModule(): Promise<RealNodeModule | undefined> {
  try {
    return (await import(new URL('../helpers/real-node.js', import.meta.url).href)) as RealNodeModule;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: logger}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: logger
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo one; sleep 1; echo two >&2; sleep 1; echo three; sleep 3; echo last']
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: crasher
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "attempt at $(date +%s)"; sleep 1; exit 1']
---
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: shell
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
  - name: talk
    image: skiff.local/busybox:1.35
    imagePullPolicy: IfNotPresent
    command: [sh]
    stdin: true
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: skiff.local/httpd:1.35
    imagePullPolicy: IfNotPresent
    ports: [{containerPort: 8080}]
`;

/** Runs kubectl under `script`, which gives it a pseudo-terminal; input is typed with pauses. */
function underPty(kubeconfig: string, home: string, kubectlArgs: string, keys: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const cmd = `stty cols 123 rows 45; exec kubectl --kubeconfig ${kubeconfig} ${kubectlArgs}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, HOME: home } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    void (async () => {
      for (const k of keys) {
        await sleep(1000);
        if (child.stdin.writable) child.stdin.write(k);
      }
    })();
  });
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('kubectl logs, exec, attach, cp and port-forward against real containers', { timeout: 300_000 }, async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const mod = await realNodeModule();
  if (!mod) return t.skip('needs the CRI runtime and its real-node test helper (test/helpers/real-node.ts)');
  const why = mod.realNodeMissing();
  if (why) return t.skip(why);

  const node = await mod.startRealNode();
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-stream-e2e-'));
  t.after(async () => {
    await node.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  const k = node.kubectl;
  const port = await until('the node to register', 30_000, async () => {
    const r = await k(['get', 'nodes', '-o', 'jsonpath={.items[0].status.daemonEndpoints.kubeletEndpoint.Port}']);
    return r.code === 0 && r.stdout !== '' ? Number(r.stdout) : undefined;
  });
  if (!port) return t.skip('skiff server runs no node agent server (startAgentServer is not wired into the host agent)');

  const applied = await k(['apply', '-f', '-'], { input: PODS });
  assert.equal(applied.code, 0, applied.stderr);
  for (const p of ['shell', 'web']) {
    await until(`${p} Running`, 60_000, async () => ((await k(['get', 'pod', p, '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' ? true : undefined));
  }

  await t.test('logs: follow ends when the container exits; tail, timestamps, limit-bytes', async () => {
    await until('logger started', 60_000, async () =>
      (await k(['get', 'pod', 'logger', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' ? true : undefined,
    );
    const followed = await k(['logs', '-f', 'logger'], { timeoutMs: 30_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'one\ntwo\nthree\nlast\n');
    assert.equal((await k(['logs', 'logger', '--tail=1'])).stdout, 'last\n');
    assert.equal((await k(['logs', 'logger', '--limit-bytes=6'])).stdout, 'one\ntw');
    assert.match((await k(['logs', 'logger', '--timestamps'])).stdout.split('\n')[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z one$/);
  });

  await t.test('logs --previous shows the attempt before a restart', async () => {
    await until('crasher restarted', 90_000, async () => {
      const r = await k(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']);
      return Number(r.stdout) >= 1 ? true : undefined;
    });
    const prev = await k(['logs', 'crasher', '--previous']);
    assert.equal(prev.code, 0, prev.stderr);
    assert.match(prev.stdout, /^attempt at \d+\n$/);
  });

  await t.test('exec: output, stderr, exit code, stdin to EOF', async () => {
    assert.equal((await k(['exec', 'shell', '-c', 'shell', '--', 'cat', '/etc/hostname'])).stdout, 'shell\n');
    const failed = await k(['exec', 'shell', '-c', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(failed.code, 3);
    assert.equal(failed.stdout, 'out\n');
    assert.match(failed.stderr, /^err\n.*command terminated with exit code 3/s);
    const counted = await k(['exec', '-i', 'shell', '-c', 'shell', '--', 'sh', '-c', 'wc -c; echo done'], { input: 'abcdef' });
    assert.equal(counted.stdout.replace(/\s+/g, ' ').trim(), '6 done');
  });

  await t.test('exec -it: a shell on a terminal, with its size', async () => {
    const out = await underPty(node.kubeconfig, node.dataDir, 'exec -it shell -c shell -- sh', ['echo TTY-$((6*7))\r', 'stty size\r', 'exit\r'], 20_000);
    assert.match(out, /TTY-42/);
    assert.match(out, /45 123/);
  });

  await t.test('attach to a container reading stdin', async (st) => {
    // stdin stays open until the answer is back: the runtime ends an attach session when
    // the client's stdin ends, and output after that is not sent.
    const att = spawn('kubectl', ['--kubeconfig', node.kubeconfig, 'attach', '-i', 'shell', '-c', 'talk'], { env: { ...process.env, HOME: node.dataDir } });
    st.after(() => att.kill('SIGTERM'));
    let out = '';
    att.stdout.on('data', (d) => (out += d));
    att.stderr.on('data', (d) => (out += d));
    await sleep(1000);
    att.stdin.write('echo ATTACHED-$((1+1))\n');
    await until('the attached shell to answer', 15_000, async () => (/ATTACHED-2/.test(out) ? true : undefined));
    const ended = new Promise((r) => att.once('exit', r));
    att.stdin.end();
    await Promise.race([ended, sleep(10_000)]);
    assert.notEqual(att.exitCode, null, 'kubectl attach ends when its stdin does');
  });

  await t.test('cp into the pod and back out', async () => {
    const src = join(scratch, 'up.txt');
    writeFileSync(src, 'content of a file\n');
    const up = await k(['cp', src, 'default/shell:/tmp/up.txt', '-c', 'shell']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await k(['exec', 'shell', '-c', 'shell', '--', 'cat', '/tmp/up.txt'])).stdout, 'content of a file\n');
    const down = await k(['cp', 'default/shell:/tmp/up.txt', join(scratch, 'down.txt'), '-c', 'shell']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(readFileSync(join(scratch, 'down.txt'), 'utf8'), 'content of a file\n');

    // Big enough that flow control matters on every hop.
    const big = randomBytes(6 * 1024 * 1024);
    writeFileSync(join(scratch, 'big.bin'), big);
    assert.equal((await k(['cp', join(scratch, 'big.bin'), 'default/shell:/tmp/big.bin', '-c', 'shell'], { timeoutMs: 60_000 })).code, 0);
    assert.equal((await k(['exec', 'shell', '-c', 'shell', '--', 'sh', '-c', 'wc -c < /tmp/big.bin'])).stdout.trim(), String(big.length));
    assert.equal((await k(['cp', 'default/shell:/tmp/big.bin', join(scratch, 'big-back.bin'), '-c', 'shell'], { timeoutMs: 60_000 })).code, 0);
    assert.ok(readFileSync(join(scratch, 'big-back.bin')).equals(big), 'the file comes back byte for byte');
  });

  await t.test('port-forward to the pod, then a request on loopback', async (st) => {
    const pf = spawn('kubectl', ['--kubeconfig', node.kubeconfig, 'port-forward', 'pod/web', ':8080', '--address', '127.0.0.1'], {
      env: { ...process.env, HOME: node.dataDir },
    });
    st.after(() => pf.kill('SIGTERM'));
    let out = '';
    pf.stdout.on('data', (d) => (out += d));
    pf.stderr.on('data', (d) => (out += d));
    const local = await until('port-forward to listen', 15_000, async () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
      return m ? Number(m[1]) : undefined;
    });
    assert.match(await httpGet(local, '/'), /It works!/);
    assert.match(await httpGet(local, '/'), /It works!/, 'a second connection over the same session');
  });
});
