// Join tokens in k3s' form, `K10<sha256 of the CA certificate PEM>::server:<secret>`: the
// hash lets an agent trust the CA it fetches from /cacerts before it sends the secret; the
// secret then authenticates the agent as its node, with the bearer token
// `node:<node name>:<secret>` → user system:node:<name>, group system:nodes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UserInfo } from '../types.js';

export function caHash(caPem: string): string {
  return createHash('sha256').update(caPem).digest('hex');
}

export function formatJoinToken(caPem: string, secret: string): string {
  return `K10${caHash(caPem)}::server:${secret}`;
}

/** The CA hash (when the token carries one) and the secret of a join token; a bare string is all secret. */
export function parseJoinToken(token: string): { caHash?: string; secret: string } {
  const m = /^K10([0-9a-f]{64})::[^:]+:(.+)$/.exec(token.trim());
  if (m) return { caHash: m[1], secret: m[2]! };
  return { secret: token.trim() };
}

/** The server's join token: from --token, else DATA_DIR/token, else a new one stored there. */
export function ensureJoinToken(dataDir: string, caPem: string, flag?: string): { token: string; secret: string; path: string } {
  const path = join(dataDir, 'token');
  let secret: string;
  if (flag) secret = parseJoinToken(flag).secret;
  else if (existsSync(path)) secret = parseJoinToken(readFileSync(path, 'utf8')).secret;
  else secret = randomBytes(24).toString('hex');
  const token = formatJoinToken(caPem, secret);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, secret, path };
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function nodeBearerToken(nodeName: string, secret: string): string {
  return `node:${nodeName}:${secret}`;
}

export function nodeTokenAuthenticator(secret: string): (token: string) => UserInfo | undefined {
  const want = createHash('sha256').update(secret).digest();
  return (token) => {
    if (!token.startsWith('node:')) return undefined;
    const i = token.indexOf(':', 5);
    if (i < 0) return undefined;
    const name = token.slice(5, i);
    if (!NODE_NAME.test(name) || name.length > 253) return undefined;
    // Compared as hashes so the comparison takes the same time whatever the length.
    const got = createHash('sha256')
      .update(token.slice(i + 1))
      .digest();
    if (!timingSafeEqual(got, want)) return undefined;
    // skiff:agents: the agent's proxy, DNS and ingress share these credentials (see the skiff:* roles).
    return { username: `system:node:${name}`, groups: ['system:nodes', 'skiff:agents'] };
  };
}
