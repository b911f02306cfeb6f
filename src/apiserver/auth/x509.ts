// Client-certificate authentication: a certificate the cluster CA signed names the user in
// its CN and the groups in its O attributes, as kube-apiserver's x509 authenticator reads it.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../types.js';
import type { AuthResponse, RequestAuthenticator } from './authenticator.js';

export function userFromSubject(subject: Record<string, string | string[]> | undefined): UserInfo | undefined {
  const cn = subject?.CN;
  if (!cn) return undefined;
  const o = subject.O;
  return { username: String(Array.isArray(cn) ? cn[0] : cn), groups: Array.isArray(o) ? o.map(String) : o ? [String(o)] : [] };
}

export function x509Authenticator(): RequestAuthenticator {
  // A connection's certificate never changes: read once per socket, not per request.
  const bySocket = new WeakMap<TLSSocket, AuthResponse | null>();
  return {
    authenticateRequest(req: IncomingMessage) {
      const sock = req.socket as TLSSocket;
      if (!sock.authorized) return undefined;
      let r = bySocket.get(sock);
      if (r === undefined) {
        const user = userFromSubject(sock.getPeerCertificate?.()?.subject as unknown as Record<string, string | string[]> | undefined);
        r = user ? { user } : null;
        bySocket.set(sock, r);
      }
      return r ?? undefined;
    },
  };
}
