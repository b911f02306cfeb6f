// Join tokens in k3s' form, `K10<sha256 of the CA certificate PEM>::server:<secret>`: the
// hash lets an agent trust the CA it fetches from /cacerts before it sends the secret. The
// secret is a bootstrap token (`<id>.<secret>`), published by the server as the Secret
// kube-system/bootstrap-token-<id>: it lets an agent ask for its node certificate, nothing else.
// A secret of any other shape (the hex secrets of earlier data dirs, a free-form --token)
// stands for the bootstrap token derived from it, so such join tokens keep working.
import { createHash, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../../util/durable-file.js';

export const BOOTSTRAP_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

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

/** The bootstrap token a join secret stands for: itself when it has the shape, else derived from it. */
export function bootstrapTokenOf(secret: string): { id: string; secret: string; token: string } {
  const m = BOOTSTRAP_TOKEN.exec(secret);
  if (m) return { id: m[1]!, secret: m[2]!, token: secret };
  const h = createHash('sha256').update(`skiff-bootstrap-token:${secret}`).digest('hex');
  return { id: h.slice(0, 6), secret: h.slice(6, 22), token: `${h.slice(0, 6)}.${h.slice(6, 22)}` };
}

function randomChars(n: number): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += abc[randomInt(abc.length)];
  return s;
}

/** The server's join token: from --token, else DATA_DIR/token, else a new one stored there. */
export function ensureJoinToken(dataDir: string, caPem: string, flag?: string): { token: string; secret: string; path: string } {
  const path = join(dataDir, 'token');
  let secret: string;
  if (flag) secret = parseJoinToken(flag).secret;
  else if (existsSync(path)) secret = parseJoinToken(readFileSync(path, 'utf8')).secret;
  else secret = `${randomChars(6)}.${randomChars(16)}`;
  const token = formatJoinToken(caPem, secret);
  // Rewritten on every start: a power cut mid-write must not leave it empty.
  if (!existsSync(path) || readFileSync(path, 'utf8') !== `${token}\n`) writeFileDurable(path, `${token}\n`, 0o600);
  return { token, secret, path };
}
