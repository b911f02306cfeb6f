// Port-forward in the older WebSocket form (protocol v4.channel.k8s.io, the ports in the
// query), as the Python client and other non-Go clients speak it: for the i-th port,
// channel 2i carries the connection's bytes and channel 2i+1 its errors, and each channel
// opens with the port number as two little-endian bytes. The runtime only speaks SPDY for
// port-forward, so each port becomes a pair of SPDY streams (data, error) on one session.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { WebSocketSender, throttleWebSocket } from './backpressure.js';

export const WS_PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

/** The ports of a WebSocket port-forward request; errors name the bad value. */
export function parsePorts(values: string[]): number[] {
  const ports = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port ${JSON.stringify(s)}: must be 1-65535`);
      return n;
    });
  if (!ports.length) throw new Error('query parameter "port" is required for a WebSocket port-forward');
  return ports;
}

function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port, 0);
  return b;
}

export function bridgeWebSocketPortForward(ws: WebSocket, spdySocket: Duplex, ports: number[]): void {
  const session = new SpdySession(spdySocket, 'client');
  session.on('error', () => session.destroy());
  const toClient = new WebSocketSender(ws, (paused) => session.pauseReading(paused));
  const data: SpdyStream[] = [];
  let ended = 0;
  ports.forEach((port, i) => {
    const headers = { port: String(port), requestID: String(i) };
    const error = session.openStream({ ...headers, streamType: 'error' });
    const d = session.openStream({ ...headers, streamType: 'data' });
    data.push(d);
    error.end();
    toClient.send(Buffer.concat([Buffer.from([2 * i]), portPrefix(port)]));
    toClient.send(Buffer.concat([Buffer.from([2 * i + 1]), portPrefix(port)]));
    d.on('data', (b: Buffer) => toClient.send(Buffer.concat([Buffer.from([2 * i]), b])));
    // One connection per port: the session is over when every port's connection has ended.
    d.once('end', () => {
      if (++ended === ports.length) finish();
    });
    error.on('data', (b: Buffer) => toClient.send(Buffer.concat([Buffer.from([2 * i + 1]), b])));
  });
  const throttle = throttleWebSocket(
    ws,
    () => session.backlog,
    (fn) => session.onDrain(fn),
  );
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(msg) || !msg.length) return;
    const ch = msg[0]!;
    // Only data channels carry client bytes; the error channels are read-only.
    if (ch % 2 === 0) data[ch / 2]?.write(msg.subarray(1));
    throttle();
  });
  function finish(): void {
    session.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  }
  session.on('close', finish);
  ws.on('close', finish);
  ws.on('error', finish);
}
