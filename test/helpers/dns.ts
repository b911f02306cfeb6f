// DNS test helpers: a small upstream nameserver on loopback (UDP and TCP) that answers
// `example.test` names, and `dig` run against a server.
import dgram from 'node:dgram';
import net from 'node:net';
import { execFile, spawnSync } from 'node:child_process';
import dnsPacket from 'dns-packet';

export const DIG_MISSING = spawnSync('dig', ['-v']).error ? 'dig is not installed (apt-get install dnsutils)' : undefined;

export interface TestUpstream {
  host: string;
  port: number;
  /** Questions received, by name (lower case). */
  queries: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Answers, for names under `domain`: `<x>.<domain>` A `address` (TTL `ttl`), `many.<domain>`
 * TXT with 40 long strings (too big for 512 bytes), `silent.<domain>` and names under it never, anything
 * else NXDOMAIN with an SOA (negative TTL 30). Outside `domain`: REFUSED.
 */
export async function startTestUpstream(opts: { host?: string; domain?: string; address?: string; ttl?: number } = {}): Promise<TestUpstream> {
  const host = opts.host ?? '127.0.0.1';
  const domain = (opts.domain ?? 'example.test').toLowerCase();
  const queries = new Map<string, number>();
  const answer = (msg: Buffer): Buffer | undefined => {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    const name = question.name.toLowerCase();
    queries.set(name, (queries.get(name) ?? 0) + 1);
    const base = { id: q.id, type: 'response' as const, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions };
    if (name === `silent.${domain}` || name.endsWith(`.silent.${domain}`)) return undefined;
    if (!(name === domain || name.endsWith(`.${domain}`))) return dnsPacket.encode({ ...base, flags: base.flags | 5 });
    if (name === `many.${domain}`)
      return dnsPacket.encode({
        ...base,
        answers: Array.from({ length: 40 }, (_, i) => ({
          name: question.name,
          type: 'TXT' as const,
          ttl: opts.ttl ?? 60,
          data: `record ${i} ${'x'.repeat(40)}`,
        })),
      });
    if (name.startsWith('nx') || question.type !== 'A')
      return dnsPacket.encode({
        ...base,
        flags: base.flags | (name.startsWith('nx') ? 3 : 0),
        authorities: [
          {
            name: domain,
            type: 'SOA',
            ttl: 30,
            data: { mname: `ns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 30 },
          },
        ],
      });
    return dnsPacket.encode({ ...base, answers: [{ name: question.name, type: 'A', ttl: opts.ttl ?? 60, data: opts.address ?? '192.0.2.1' }] });
  };
  const onTcp = (sock: net.Socket) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => sock.destroy());
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const r = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!r) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        sock.write(Buffer.concat([len, r]));
      }
    });
  };
  // UDP takes a free port; TCP must get the same one, which another process may hold: retry.
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 20 && !tcp; attempt++) {
    const u = dgram.createSocket('udp4');
    u.on('message', (msg, rinfo) => {
      const r = answer(msg);
      if (r) u.send(r, rinfo.port, rinfo.address);
    });
    await new Promise<void>((res) => u.bind(0, host, () => res()));
    const p = u.address().port;
    const t = net.createServer(onTcp);
    const bound = await new Promise<boolean>((res) => {
      t.once('error', () => res(false));
      t.listen(p, host, () => res(true));
    });
    if (bound) {
      udp = u;
      tcp = t;
      port = p;
    } else u.close();
  }
  if (!udp || !tcp) throw new Error('test upstream: no port free for both UDP and TCP');
  return {
    host,
    port,
    queries,
    close: () =>
      new Promise((res) => {
        udp!.close();
        tcp!.close(() => res());
      }),
  };
}

export interface DigResult {
  code: number;
  stdout: string;
}

export function dig(server: string, port: number, args: string[], timeoutMs = 10_000): Promise<DigResult> {
  return new Promise((res) => {
    execFile('dig', [`@${server}`, '-p', String(port), '+time=2', '+tries=1', ...args], { timeout: timeoutMs }, (err, stdout) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

/** The lines of dig's ANSWER section. */
export function answerLines(out: string): string[] {
  const m = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out);
  return m ? m[1]!.split('\n').filter(Boolean) : [];
}

export function status(out: string): string | undefined {
  return /status: (\w+)/.exec(out)?.[1];
}

/** One raw UDP exchange; undefined when nothing comes back within `timeoutMs`. */
export function rawUdp(host: string, port: number, packet: Buffer, timeoutMs = 500): Promise<Buffer | undefined> {
  return new Promise((res) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      res(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      res(m);
    });
    s.send(packet, port, host);
  });
}

/** One A (or other type) question over UDP with dns-packet: the rcode and the answers' data. */
export async function ask(
  host: string,
  port: number,
  name: string,
  type: 'A' | 'AAAA' | 'SRV' | 'PTR' | 'TXT' = 'A',
  timeoutMs = 500,
): Promise<{ rcode: string; data: unknown[] } | undefined> {
  const id = Math.floor(Math.random() * 65536);
  const reply = await rawUdp(host, port, dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }), timeoutMs);
  if (!reply) return undefined;
  const d = dnsPacket.decode(reply);
  return {
    rcode: (d as { rcode?: string }).rcode ?? 'NOERROR',
    data: (d.answers ?? []).filter((a) => a.type === type).map((a) => (a as { data: unknown }).data),
  };
}

/** A port free on this host right now (TCP and UDP), for servers that must be told theirs. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((res) => {
      const s = net.createServer().listen(0, host, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => res(p));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, host, () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port found');
}
