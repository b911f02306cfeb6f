// --token-auth-file: a CSV of `token,user,uid,"group1,group2"` lines (at least three
// columns; the fourth optional), read once at start as kube-apiserver's tokenfile does.
// Blank lines and lines of only whitespace are skipped; a short line fails the start.
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../types.js';
import type { TokenAuthenticator } from './authenticator.js';

/** One CSV record with RFC 4180 quoting ("" inside quotes is a quote). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseTokenFile(text: string, path = 'token file'): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim()) return;
    const rec = parseCsvLine(raw);
    if (rec.length < 3) throw new Error(`${path}, line ${i + 1}: token file is missing fields (want token,user,uid[,"groups"])`);
    const token = rec[0]!.trim();
    if (!token) throw new Error(`${path}, line ${i + 1}: empty token`);
    const groups =
      rec.length > 3
        ? rec[3]!
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean)
        : [];
    // As kube-apiserver: a token given twice keeps its last line.
    tokens.set(token, { username: rec[1]!, uid: rec[2]!, groups });
  });
  return tokens;
}

export function readTokenFile(path: string): Map<string, UserInfo> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--token-auth-file ${path}: ${(err as Error).message}`);
  }
  return parseTokenFile(text, path);
}

export function staticTokenAuthenticator(tokens: Map<string, UserInfo>): TokenAuthenticator {
  return {
    authenticateToken(token) {
      const user = tokens.get(token);
      return user ? { user } : undefined;
    },
  };
}
