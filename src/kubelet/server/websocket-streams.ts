// The WebSocket side of the agent's streaming endpoints: exec/attach in the channel
// protocols (translated to the runtime's SPDY by exec-bridge), and port-forward as kubectl
// 1.32 tunnels it — SPDY frames carried in binary WebSocket messages, which pass to the
// runtime's SPDY port-forward server unchanged.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { bridgeExec, dialSpdyExec, EXEC_WS_PROTOCOLS, type ExecStreamOptions } from './exec-bridge.js';
import { dialUpgrade } from '../../client/streams/upgrade-proxy.js';
import { throttleWebSocket, WebSocketSender } from './backpressure.js';
import { bridgeWebSocketPortForward, WS_PORT_FORWARD_PROTOCOL } from './websocket-portforward.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

// `/` is not allowed in a subprotocol token (RFC 6455), and ws enforces that; Go's client
// does not, and kubectl offers the tunnel protocol with one. The request header is swapped
// for this alias before ws reads it, and the real name is put back into the 101 response.
const TUNNEL_ALIAS = 'skiff.portforward-tunnel';

export function chooseExecProtocol(offered: Set<string>): string | undefined {
  return EXEC_WS_PROTOCOLS.find((p) => offered.has(p));
}

/** The protocols a WebSocket upgrade offers, as the client wrote them (no token check). */
export function offeredProtocols(req: IncomingMessage): Set<string> {
  return new Set(
    String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** A WebSocket server (no listener of its own) that picks the exec or tunnel protocol. */
export function streamingWebSocketServer(): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => (p.has(TUNNEL_ALIAS) ? TUNNEL_ALIAS : (chooseExecProtocol(p) ?? false)),
  });
  wss.on('headers', (headers) => {
    const i = headers.findIndex((h) => h.toLowerCase() === `sec-websocket-protocol: ${TUNNEL_ALIAS}`);
    if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`;
  });
  return wss;
}

function accept(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head, resolve));
}

/** Upgrades the client to WebSocket only once the runtime's side is connected, so failures stay HTTP errors. */
export async function serveWebSocketExec(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  streams: ExecStreamOptions,
): Promise<void> {
  const upstream = await dialSpdyExec(target);
  const ws = await accept(wss, req, socket, head);
  await bridgeExec(ws, upstream, streams, ws.protocol);
}

/** Whether the client speaks the tunnel (kubectl) or the older channel form (other clients). */
export function portForwardProtocol(offered: Set<string>): 'tunnel' | 'channels' | undefined {
  if (offered.has(PORT_FORWARD_TUNNEL_PROTOCOL)) return 'tunnel';
  if (offered.has(WS_PORT_FORWARD_PROTOCOL)) return 'channels';
  return undefined;
}

export async function serveWebSocketPortForward(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  ports: number[] = [],
): Promise<void> {
  const up = await dialUpgrade({
    url: target,
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': PORT_FORWARD_PROTOCOL },
    tls: { rejectUnauthorized: false },
  });
  if (portForwardProtocol(offeredProtocols(req)) === 'channels') {
    const ws = await accept(wss, req, socket, head);
    return bridgeWebSocketPortForward(ws, up.socket, ports);
  }
  req.headers['sec-websocket-protocol'] = TUNNEL_ALIAS;
  const ws = await accept(wss, req, socket, head);
  tunnel(ws, up.socket);
}

/** Carries a byte stream in binary WebSocket messages, both ways, until either side ends. */
export function tunnel(ws: WebSocket, sock: Duplex): void {
  const throttle = throttleWebSocket(
    ws,
    () => sock.writableLength,
    (fn) => sock.once('drain', fn),
  );
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary && Buffer.isBuffer(data)) sock.write(data);
    throttle();
  });
  const toClient = new WebSocketSender(ws, (paused) => (paused ? sock.pause() : sock.resume()));
  sock.on('data', (b: Buffer) => toClient.send(b));
  const close = () => {
    sock.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  sock.on('close', close);
  sock.on('error', close);
  ws.on('close', close);
  ws.on('error', close);
}
