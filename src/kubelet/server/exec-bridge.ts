// Translates an exec/attach session between kubectl's WebSocket channel protocol and the
// runtime's SPDY streaming server (containerd vendors the kubelet's older server, which has
// no v5). On the WebSocket every message is one channel byte and its payload: 0 stdin,
// 1 stdout, 2 stderr, 3 error (a Status in JSON), 4 resize ({"Width","Height"}); v5 adds
// 255 <id>, "this stream is closed", which becomes a SPDY half-close — the only way the
// process in the container ever reads EOF on stdin (`kubectl cp` into a pod needs it).
import type { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { dialUpgrade } from '../../client/streams/upgrade-proxy.js';
import { throttleWebSocket, WebSocketSender } from './backpressure.js';

export const WS_V5 = 'v5.channel.k8s.io';
export const WS_V4 = 'v4.channel.k8s.io';
/** Channel protocols this side speaks on the WebSocket, best first. */
export const EXEC_WS_PROTOCOLS = [WS_V5, WS_V4];
/** What we ask of the runtime's SPDY server: the newest protocol the kubelet's server has. */
export const SPDY_EXEC_PROTOCOL = 'v4.channel.k8s.io';

export enum Channel {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  Error = 3,
  Resize = 4,
  Close = 255,
}

export interface ExecStreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Opens the SPDY upgrade to the runtime's exec/attach URL. */
export async function dialSpdyExec(url: URL): Promise<Duplex> {
  const up = await dialUpgrade({
    url,
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': SPDY_EXEC_PROTOCOL },
    tls: { rejectUnauthorized: false },
  });
  const got = up.headers['x-stream-protocol-version'];
  if (got !== SPDY_EXEC_PROTOCOL) {
    up.socket.destroy();
    throw new Error(`runtime streaming server chose protocol ${JSON.stringify(got ?? '')}, want ${SPDY_EXEC_PROTOCOL}`);
  }
  return up.socket;
}

/**
 * Joins a WebSocket (already upgraded, protocol v5 or v4) to a SPDY connection to the
 * runtime. Resolves when the session is over and the WebSocket has been closed.
 */
export function bridgeExec(ws: WebSocket, spdySocket: Duplex, opts: ExecStreamOptions, protocol: string): Promise<void> {
  const session = new SpdySession(spdySocket, 'client');
  session.on('error', () => session.destroy());
  // The order client-go opens them in; the server waits until it has every one it expects.
  const open = (type: string) => session.openStream({ streamType: type });
  const streams: Partial<Record<Channel, SpdyStream>> = {};
  streams[Channel.Error] = open('error');
  if (opts.stdin) streams[Channel.Stdin] = open('stdin');
  if (opts.stdout) streams[Channel.Stdout] = open('stdout');
  if (opts.stderr && !opts.tty) streams[Channel.Stderr] = open('stderr');
  if (opts.tty) streams[Channel.Resize] = open('resize');

  const toClient = new WebSocketSender(ws, (paused) => session.pauseReading(paused));
  for (const ch of [Channel.Stdout, Channel.Stderr, Channel.Error] as const) {
    streams[ch]?.on('data', (data: Buffer) => toClient.send(Buffer.concat([Buffer.from([ch]), data])));
  }
  const throttle = throttleWebSocket(
    ws,
    () => session.backlog,
    (fn) => session.onDrain(fn),
  );

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(data) || data.length === 0) return;
    const ch = data[0]!;
    if (ch === Channel.Close && protocol === WS_V5) {
      if (data.length !== 2) return;
      const target = data[1]!;
      if (target === Channel.Stdin || target === Channel.Resize) streams[target as Channel]?.end();
      return;
    }
    if (ch === Channel.Stdin || ch === Channel.Resize) streams[ch as Channel]?.write(data.subarray(1));
    throttle();
  });

  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      session.destroy();
      // A normal closure: the client reads it as EOF on every stream.
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      resolve();
    };
    session.on('close', finish);
    ws.on('close', finish);
    ws.on('error', finish);
  });
}
