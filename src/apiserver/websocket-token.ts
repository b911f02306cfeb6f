// Browsers cannot set headers on a WebSocket, so, as kube-apiserver does, a bearer token may
// ride in the subprotocol list as `base64url.bearer.authorization.k8s.io.<base64url token>`.
// It becomes the request's Authorization header and leaves the protocol list, so the token is
// never echoed back nor relayed to the node agent.
import type { IncomingMessage } from 'node:http';

const PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** Moves a subprotocol bearer token into `Authorization` (an explicit header wins); true when one was found. */
export function takeWebSocketBearerToken(req: IncomingMessage): boolean {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return false;
  const protocols = header
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const carrier = protocols.find((p) => p.startsWith(PREFIX));
  if (!carrier) return false;
  const rest = protocols.filter((p) => !p.startsWith(PREFIX));
  if (rest.length) req.headers['sec-websocket-protocol'] = rest.join(', ');
  else delete req.headers['sec-websocket-protocol'];
  const encoded = carrier.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(encoded)) return false;
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  if (!token || /[\s\0]/.test(token)) return false;
  if (!req.headers.authorization) req.headers.authorization = `Bearer ${token}`;
  return true;
}
