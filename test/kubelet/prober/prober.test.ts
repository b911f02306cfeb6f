// The probe handlers against real loopback servers (HTTP, HTTPS-less redirects, TCP) and
// an exec double; the probe worker's thresholds and timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { httpProbe } from '../../../src/kubelet/prober/http-probe.js';
import { tcpProbe } from '../../../src/kubelet/prober/tcp-probe.js';
import { execProbe } from '../../../src/kubelet/prober/exec-probe.js';
import { resolvePort, runHandler } from '../../../src/kubelet/prober/handler.js';
import { ProbeWorker } from '../../../src/kubelet/prober/probe-worker.js';
import { RuntimeError } from '../../../src/kubelet/runtime/types.js';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('httpGet: 2xx and 3xx succeed, 4xx/5xx fail with the status code, headers and user agent sent', async () => {
  const seen: IncomingMessage[] = [];
  const { server, port } = await serve((req, res) => {
    seen.push(req);
    if (req.url === '/healthz') res.end('ok');
    else if (req.url === '/notmod') {
      res.statusCode = 304;
      res.end();
    } else {
      res.statusCode = 503;
      res.end('down');
    }
  });
  try {
    const base = { scheme: 'HTTP' as const, host: '127.0.0.1', port, timeoutMs: 1000 };
    assert.deepEqual(await httpProbe({ ...base, path: '/healthz', headers: [{ name: 'X-Probe', value: 'yes' }] }), { result: 'Success', output: 'ok' });
    assert.equal(seen[0]!.headers['x-probe'], 'yes');
    assert.equal(seen[0]!.headers['user-agent'], 'kube-probe/1.32');
    assert.equal((await httpProbe({ ...base, path: '/notmod' })).result, 'Success');
    assert.deepEqual(await httpProbe({ ...base, path: '/bad' }), { result: 'Failure', output: 'HTTP probe failed with statuscode: 503' });
  } finally {
    server.close();
  }
});

test('httpGet: redirects on the same host are followed; to another host they end as a Warning', async () => {
  const { server, port } = await serve((req, res) => {
    if (req.url === '/old') {
      res.statusCode = 302;
      res.setHeader('Location', '/new');
      res.end();
    } else if (req.url === '/new') {
      res.statusCode = 500;
      res.end();
    } else if (req.url === '/away') {
      res.statusCode = 301;
      res.setHeader('Location', `http://localhost:${port}/new`);
      res.end('moved');
    } else if (req.url === '/loop') {
      res.statusCode = 302;
      res.setHeader('Location', '/loop');
      res.end();
    } else res.end();
  });
  try {
    const base = { scheme: 'HTTP' as const, host: '127.0.0.1', port, timeoutMs: 2000 };
    // Followed: the final 500 decides.
    assert.equal((await httpProbe({ ...base, path: '/old' })).output, 'HTTP probe failed with statuscode: 500');
    // Another host name is not followed, so the 500 there is never seen.
    assert.deepEqual(await httpProbe({ ...base, path: '/away' }), { result: 'Warning', output: 'Probe terminated redirects, Response body: moved' });
    const loop = await httpProbe({ ...base, path: '/loop' });
    assert.equal(loop.result, 'Failure');
    assert.match(loop.output, /stopped after 10 redirects/);
  } finally {
    server.close();
  }
});

test('httpGet: a refused connection and a timeout fail with the kubelet wording', async () => {
  const port = await closedPort();
  const refused = await httpProbe({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/', timeoutMs: 1000 });
  assert.deepEqual(refused, { result: 'Failure', output: `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused` });
  const { server, port: slow } = await serve(() => {
    /* never answers */
  });
  try {
    const t0 = Date.now();
    const r = await httpProbe({ scheme: 'HTTP', host: '127.0.0.1', port: slow, path: '/x', timeoutMs: 200 });
    assert.equal(r.result, 'Failure');
    assert.match(r.output, /context deadline exceeded/);
    assert.ok(Date.now() - t0 < 1500);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('tcpSocket: an open port succeeds, a closed one fails', async () => {
  const s = createTcpServer((c) => c.end());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    assert.equal((await tcpProbe('127.0.0.1', (s.address() as AddressInfo).port, 1000)).result, 'Success');
    const port = await closedPort();
    assert.deepEqual(await tcpProbe('127.0.0.1', port, 1000), { result: 'Failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
  } finally {
    s.close();
  }
});

test('exec: exit 0 succeeds, others fail with the output, a deadline is a timeout failure, other errors are Unknown', async () => {
  const rt = {
    async execSync(_id: string, cmd: string[]) {
      if (cmd[0] === 'slow') throw new RuntimeError('DeadlineExceeded', 'deadline');
      if (cmd[0] === 'gone') throw new RuntimeError('NotFound', 'container not found');
      return { stdout: Buffer.from('out '), stderr: Buffer.from('err'), exitCode: cmd[0] === 'true' ? 0 : 2 };
    },
  };
  assert.deepEqual(await execProbe(rt, 'c1', ['true'], 1), { result: 'Success', output: 'out err' });
  assert.deepEqual(await execProbe(rt, 'c1', ['false'], 1), { result: 'Failure', output: 'out err' });
  assert.deepEqual(await execProbe(rt, 'c1', ['slow', 'x'], 1), { result: 'Failure', output: 'command "slow x" timed out' });
  assert.equal((await execProbe(rt, 'c1', ['gone'], 1)).result, 'Unknown');
});

test('ports by name resolve from the container; unknown names are errors, not crashes', async () => {
  const c = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }] };
  assert.equal(resolvePort('http', c), 8080);
  assert.equal(resolvePort('9090', c), 9090);
  assert.equal(resolvePort(80, c), 80);
  assert.throws(() => resolvePort('metrics', c), /couldn't find port: metrics in container web/);
  const r = await runHandler(
    { tcpSocket: { port: 'metrics' } },
    {
      runtime: {
        execSync: async () => {
          throw new Error('unused');
        },
      },
      containerId: 'x',
      container: c,
      podIP: '127.0.0.1',
    },
    1,
  );
  assert.equal(r.result, 'Unknown');
});

test('probe worker: a result counts only after failureThreshold runs in a row; readiness starts as Failure', async () => {
  let healthy = true;
  const changes: string[] = [];
  const problems: string[] = [];
  const rt = {
    async execSync() {
      return { stdout: Buffer.from(healthy ? '' : 'sick'), stderr: Buffer.alloc(0), exitCode: healthy ? 0 : 1 };
    },
  };
  const w = new ProbeWorker({
    kind: 'liveness',
    probe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 },
    target: { runtime: rt, containerId: 'c', container: { name: 'c' }, podIP: '' },
    startedAt: Date.now(),
    mayRun: () => true,
    onResult: (k, r) => changes.push(`${k}:${r}`),
    onProblem: (_k, _r, out) => problems.push(out),
  });
  assert.equal(w.result, 'Success');
  const r = new ProbeWorker({
    kind: 'readiness',
    probe: { exec: { command: ['check'] } },
    target: { runtime: rt, containerId: 'c', container: { name: 'c' }, podIP: '' },
    startedAt: Date.now(),
    mayRun: () => false,
    onResult: () => {},
    onProblem: () => {},
  });
  assert.equal(r.result, 'Failure');
  w.start();
  try {
    await new Promise((res) => setTimeout(res, 300));
    healthy = false;
    const t0 = Date.now();
    while (!changes.length && Date.now() - t0 < 4000) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(changes, ['liveness:Failure']);
    assert.ok(Date.now() - t0 >= 900, 'two failing runs a period apart');
    assert.deepEqual(problems, ['sick', 'sick']);
  } finally {
    w.stop();
  }
});
