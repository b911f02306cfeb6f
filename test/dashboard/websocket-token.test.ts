// The bearer token a browser sends as a WebSocket subprotocol
// (`base64url.bearer.authorization.k8s.io.<token>`): moved into Authorization and out of the
// protocol list; and, against a real server, exec upgrades authenticated by it.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { takeWebSocketBearerToken } from '../../src/apiserver/websocket-token.js';
import { adminToken } from '../helpers/browser.js';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';

const b64url = (s: string) => Buffer.from(s).toString('base64url');
const req = (headers: Record<string, string>) => ({ headers: { ...headers } }) as unknown as IncomingMessage;

test('the subprotocol token becomes the Authorization header and leaves the protocol list', () => {
  const r = req({ 'sec-websocket-protocol': `v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.${b64url('abc.def')}, v4.channel.k8s.io` });
  assert.equal(takeWebSocketBearerToken(r), true);
  assert.equal(r.headers.authorization, 'Bearer abc.def');
  assert.equal(r.headers['sec-websocket-protocol'], 'v5.channel.k8s.io, v4.channel.k8s.io');
});

test('an Authorization header already there wins; a token-only list leaves no protocol header; garbage is no token', () => {
  const r = req({ authorization: 'Bearer real', 'sec-websocket-protocol': `base64url.bearer.authorization.k8s.io.${b64url('other')}` });
  assert.equal(takeWebSocketBearerToken(r), true);
  assert.equal(r.headers.authorization, 'Bearer real');
  assert.equal(r.headers['sec-websocket-protocol'], undefined);
  for (const bad of [
    'base64url.bearer.authorization.k8s.io.',
    'base64url.bearer.authorization.k8s.io.a+b/c',
    `base64url.bearer.authorization.k8s.io.${b64url('a b')}`,
  ]) {
    const g = req({ 'sec-websocket-protocol': `v5.channel.k8s.io, ${bad}` });
    assert.equal(takeWebSocketBearerToken(g), false, bad);
    assert.equal(g.headers.authorization, undefined);
    assert.equal(g.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
  }
  assert.equal(takeWebSocketBearerToken(req({})), false);
});

let s: TestServer;
before(async () => {
  s = await startServer({ agent: true, timeoutMs: 60_000 });
});
after(async () => {
  await s?.cleanup();
});

/** The HTTP status an exec upgrade gets (101 when it switches), with these subprotocols. */
function upgradeStatus(path: string, protocols: string[]): Promise<{ status: number; protocol?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${s.port}${path}`, protocols, { rejectUnauthorized: false });
    ws.on('open', () => {
      resolve({ status: 101, protocol: ws.protocol, body: '' });
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (err) => reject(err));
  });
}

test('an exec WebSocket is authenticated by the subprotocol token; without it 403 (anonymous), with a wrong one 401', { timeout: 60_000 }, async () => {
  const ok = kubectlOk(() => s);
  const node = (await ok(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  await ok(['run', 'shell', '--image=busybox', '--restart=Never', `--overrides={"spec":{"nodeName":"${node}"}}`, '--command', '--', 'sleep', '3600']);
  const path = '/api/v1/namespaces/default/pods/shell/exec?command=sh&stdin=true&stdout=true&tty=true';
  const none = await upgradeStatus(path, ['v5.channel.k8s.io']);
  assert.equal(none.status, 403, none.body);
  assert.match(none.body, /User \\"system:anonymous\\" cannot create resource \\"pods\/exec\\"/);
  const wrong = await upgradeStatus(path, ['v5.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${b64url('not-a-token')}`]);
  assert.equal(wrong.status, 401, wrong.body);
  const good = await upgradeStatus(path, ['v5.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${b64url(await adminToken(s))}`]);
  // Past authentication: the simulated runtime runs no processes, so exec itself is refused,
  // or it switches when the runtime can exec; either way never 401, never the token echoed.
  console.log(`exec upgrade with the subprotocol token: ${good.status} ${good.body.slice(0, 200)}`);
  assert.notEqual(good.status, 401, good.body);
  if (good.status === 101) assert.equal(good.protocol, 'v5.channel.k8s.io');
  else assert.doesNotMatch(good.body, /Unauthorized/);
});
