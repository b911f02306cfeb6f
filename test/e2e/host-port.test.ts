// hostPort through the CNI portmap plugin: a busybox httpd pod publishing 8080 on a host
// port answers on the node's loopback address, and the port's NAT rules go with the pod.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realNodeMissing, startRealNode } from '../helpers/real-node.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fetchPage(port: number): Promise<string> {
  return new Promise((res, rej) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => res(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', rej);
  });
}

const natRules = () => spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout;

test('hostPort: a pod answers on the node\'s address, and its NAT rules leave with it', { timeout: 180_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const node = await startRealNode();
  const hostPort = 20000 + Math.floor(Math.random() * 9000);
  try {
    const pod = `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: skiff.local/httpd:1.35
    imagePullPolicy: IfNotPresent
    ports: [{containerPort: 8080, hostPort: ${hostPort}}]
`;
    const applied = await node.kubectl(['apply', '-f', '-'], { input: pod });
    assert.equal(applied.code, 0, applied.stderr);
    let running: Pod | undefined;
    for (let i = 0; i < 600 && !running; i++) {
      const p = JSON.parse((await node.kubectl(['get', 'pod', 'web', '-o', 'json'])).stdout) as Pod;
      if (p.status?.phase === 'Running') running = p;
      else await sleep(100);
    }
    assert.ok(running, `pod Running\n${node.logs().slice(-4000)}`);
    let page = '';
    for (let i = 0; i < 50 && !page.includes('It works'); i++) {
      page = await fetchPage(hostPort).catch(() => '');
      if (!page) await sleep(200);
    }
    assert.match(page, /It works!/, `GET 127.0.0.1:${hostPort} reaches the pod`);
    assert.match(natRules(), new RegExp(`--dport ${hostPort}\\b`), 'a DNAT rule for the host port');

    const del = await node.kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = !new RegExp(`--dport ${hostPort}\\b`).test(natRules());
      if (!gone) await sleep(200);
    }
    assert.ok(gone, 'the host port\'s NAT rules are removed with the pod');
  } finally {
    await node.cleanup();
  }
});
