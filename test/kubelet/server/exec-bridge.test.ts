// The WebSocket ↔ SPDY translation of exec/attach and the port-forward tunnel, against a
// stand-in for the runtime's streaming server (an HTTP server that upgrades to SPDY and
// answers like the kubelet's v4 server: `cat` on stdin, a Status on the error stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from '../../../src/kubelet/server/spdy-session.js';
import {
  PORT_FORWARD_TUNNEL_PROTOCOL,
  serveWebSocketExec,
  serveWebSocketPortForward,
  streamingWebSocketServer,
} from '../../../src/kubelet/server/websocket-streams.js';
import type { ExecStreamOptions } from '../../../src/kubelet/server/exec-bridge.js';

interface FakeRuntime {
  url: URL;
  resizes: string[];
  upgrades: IncomingMessage[];
  raw: Buffer[];
}

/** The runtime side: echoes stdin to stdout, reports resizes, exits 0 when stdin ends. */
async function fakeStreamingServer(t: { after(fn: () => unknown): void }, mode: 'exec' | 'raw' | 'portforward'): Promise<FakeRuntime> {
  const state: FakeRuntime = { url: new URL('http://127.0.0.1/'), resizes: [], upgrades: [], raw: [] };
  const srv = http.createServer((_req, res) => res.writeHead(400).end('upgrade required'));
  srv.on('upgrade', (req: IncomingMessage, sock: Duplex) => {
    state.upgrades.push(req);
    const proto = String(req.headers['x-stream-protocol-version'] ?? '');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${proto}\r\n\r\n`);
    if (mode === 'raw') {
      // Port-forward: record the bytes and answer with a marker, without parsing.
      sock.on('data', (b: Buffer) => {
        state.raw.push(b);
        sock.write(Buffer.concat([Buffer.from('pong:'), b]));
      });
      return;
    }
    const session = new SpdySession(sock, 'server');
    if (mode === 'portforward') {
      // Each data stream echoes what it gets, tagged with its port, and ends after "bye".
      session.on('stream', (s) => {
        state.resizes.push(`${s.headers.streamtype}:${s.headers.port}:${s.headers.requestid}`);
        if (s.headers.streamtype !== 'data') return;
        s.on('data', (b: Buffer) => {
          s.write(Buffer.concat([Buffer.from(`${s.headers.port}:`), b]));
          if (b.toString() === 'bye') s.end();
        });
      });
      return;
    }
    const byType = new Map<string, SpdyStream>();
    session.on('stream', (s) => {
      byType.set(s.headers.streamtype!, s);
      if (s.headers.streamtype === 'resize') s.on('data', (b: Buffer) => state.resizes.push(b.toString()));
      if (s.headers.streamtype === 'stdin') {
        s.on('data', (b: Buffer) => byType.get('stdout')?.write(b));
        s.on('end', () => {
          byType.get('stderr')?.write(Buffer.from('bye\n'));
          byType.get('error')!.write(Buffer.from('{"metadata":{},"status":"Success"}'));
          for (const x of byType.values()) x.end();
          session.close();
        });
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  state.url = new URL(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/exec/token123`);
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return state;
}

/** The agent side, bare: a WebSocket endpoint that bridges to the fake runtime. */
async function bridgeServer(
  t: { after(fn: () => unknown): void },
  target: URL,
  streams: ExecStreamOptions,
  portForward = false,
  ports: number[] = [],
): Promise<number> {
  const wss = streamingWebSocketServer();
  const srv = http.createServer();
  srv.on('upgrade', (req, sock, head) => {
    const run = portForward ? serveWebSocketPortForward(wss, req, sock, head, target, ports) : serveWebSocketExec(wss, req, sock, head, target, streams);
    run.catch(() => sock.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    srv.closeAllConnections();
    srv.close();
  });
  return (srv.address() as AddressInfo).port;
}

function runClient(port: number, protocol: string, script: (ws: WebSocket) => void): Promise<{ byChannel: Map<number, string>; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, [protocol]);
    const byChannel = new Map<number, string>();
    ws.on('open', () => script(ws));
    ws.on('message', (d: Buffer) => byChannel.set(d[0]!, (byChannel.get(d[0]!) ?? '') + d.subarray(1).toString('latin1')));
    ws.on('close', (code) => resolve({ byChannel, code }));
    ws.on('error', reject);
    setTimeout(() => reject(new Error('client timed out')), 5000).unref();
  });
}

test('v5: stdin reaches the process, CLOSE becomes EOF, output and exit status come back', async (t) => {
  const rt = await fakeStreamingServer(t, 'exec');
  const port = await bridgeServer(t, rt.url, { stdin: true, stdout: true, stderr: true, tty: false });
  const { byChannel, code } = await runClient(port, 'v5.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello ')]));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('world\n')]));
    ws.send(Buffer.from([255, 0]));
  });
  assert.equal(code, 1000);
  assert.equal(byChannel.get(1), 'hello world\n');
  assert.equal(byChannel.get(2), 'bye\n');
  assert.deepEqual(JSON.parse(byChannel.get(3)!), { metadata: {}, status: 'Success' });
  const up = rt.upgrades[0]!;
  assert.equal(up.method, 'POST');
  assert.equal(up.headers.upgrade, 'SPDY/3.1');
  assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
});

test('tty: no stderr stream, resize messages reach the resize stream', async (t) => {
  const rt = await fakeStreamingServer(t, 'exec');
  const port = await bridgeServer(t, rt.url, { stdin: true, stdout: true, stderr: true, tty: true });
  const { byChannel } = await runClient(port, 'v5.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}')]));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ls\r')]));
    setTimeout(() => ws.send(Buffer.from([255, 0])), 50);
  });
  assert.deepEqual(rt.resizes, ['{"Width":100,"Height":40}']);
  assert.equal(byChannel.get(1), 'ls\r');
  assert.equal(byChannel.has(2), false, 'a tty has no separate stderr');
});

test('v4 has no CLOSE signal: 255 is not a channel there, and the client closing ends the session', async (t) => {
  const rt = await fakeStreamingServer(t, 'exec');
  const port = await bridgeServer(t, rt.url, { stdin: true, stdout: true, stderr: false, tty: false });
  const { byChannel } = await runClient(port, 'v4.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('x')]));
    ws.send(Buffer.from([255, 0]));
    setTimeout(() => ws.close(1000), 100);
  });
  assert.equal(byChannel.get(1), 'x');
  assert.equal(byChannel.has(3), false, 'stdin never ended, so the process never exited');
});

/** A client frame: FIN + binary, masked as RFC 6455 requires of clients. */
function clientFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]);
}

test('port-forward tunnel: kubectl\'s "SPDY/3.1+portforward.k8s.io" is accepted and bytes pass unchanged', async (t) => {
  const rt = await fakeStreamingServer(t, 'raw');
  const port = await bridgeServer(t, rt.url, { stdin: false, stdout: false, stderr: false, tty: false }, true);
  // A raw handshake: the ws client (rightly, by RFC 6455) refuses to send a "/" in a protocol; Go's does.
  const { socket, headers } = await new Promise<{ socket: Duplex; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/portForward',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
        'Sec-WebSocket-Protocol': PORT_FORWARD_TUNNEL_PROTOCOL,
      },
    });
    req.on('upgrade', (res, socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  t.after(() => socket.destroy());
  assert.equal(headers['sec-websocket-protocol'], PORT_FORWARD_TUNNEL_PROTOCOL);
  const spdyPing = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]);
  const frame = new Promise<Buffer>((resolve) => socket.once('data', resolve));
  socket.write(clientFrame(spdyPing));
  const got = await frame;
  assert.equal(got[0], 0x82, 'a binary message back');
  assert.equal(got.subarray(2, 2 + got[1]!).toString('latin1'), `pong:${spdyPing.toString('latin1')}`);
  assert.deepEqual(rt.raw, [spdyPing]);
  assert.equal(rt.upgrades[0]!.headers['x-stream-protocol-version'], 'portforward.k8s.io');
  assert.equal(rt.upgrades[0]!.headers.upgrade, 'SPDY/3.1');
});

test('a large transfer both ways arrives whole (flow control across WebSocket and SPDY)', async (t) => {
  const rt = await fakeStreamingServer(t, 'exec');
  const port = await bridgeServer(t, rt.url, { stdin: true, stdout: true, stderr: false, tty: false });
  const total = 24 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7) & 0xff;
  let received = 0;
  let mismatch = false;
  const done = new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v5.channel.k8s.io']);
    ws.on('open', () => {
      for (let sent = 0; sent < total; sent += chunk.length) ws.send(Buffer.concat([Buffer.from([0]), chunk]));
      ws.send(Buffer.from([255, 0]));
    });
    ws.on('message', (d: Buffer) => {
      if (d[0] !== 1) return;
      const body = d.subarray(1);
      for (let i = 0; i < body.length && !mismatch; i += 4099) if (body[i] !== ((((received + i) % chunk.length) * 7) & 0xff)) mismatch = true;
      received += body.length;
    });
    ws.on('close', (code) => resolve(code));
    ws.on('error', reject);
    setTimeout(() => reject(new Error(`timed out with ${received} of ${total} bytes back`)), 30_000).unref();
  });
  assert.equal(await done, 1000);
  assert.equal(received, total);
  assert.equal(mismatch, false, 'bytes arrive in order and unchanged');
});

test('port-forward in the channel form: port prefixes, data per port, the session ends with the connections', async (t) => {
  const rt = await fakeStreamingServer(t, 'portforward');
  const port = await bridgeServer(t, rt.url, { stdin: false, stdout: false, stderr: false, tty: false }, true, [8080, 9090]);
  const { byChannel, code } = await runClient(port, 'v4.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hi')]));
    ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('yo')]));
    setTimeout(() => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('bye')]));
      ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('bye')]));
    }, 100);
  });
  assert.equal(code, 1000);
  const le = (n: number) => String.fromCharCode(n & 0xff, n >> 8);
  assert.equal(byChannel.get(0), `${le(8080)}8080:hi8080:bye`);
  assert.equal(byChannel.get(1), le(8080));
  assert.equal(byChannel.get(2), `${le(9090)}9090:yo9090:bye`);
  assert.equal(byChannel.get(3), le(9090));
  assert.deepEqual(rt.resizes.sort(), ['data:8080:0', 'data:9090:1', 'error:8080:0', 'error:9090:1']);
  assert.equal(rt.upgrades[0]!.headers['x-stream-protocol-version'], 'portforward.k8s.io');
});
