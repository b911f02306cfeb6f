// Sends the names the cluster does not own to upstream servers and brings their answers
// back: one UDP socket per address family with random query IDs, TCP when an answer comes
// back truncated, the next server when one fails or stays silent, SERVFAIL when the time
// is up. Identical questions in flight share one upstream query, and the table of
// questions in flight is bounded: beyond it, SERVFAIL at once instead of growing.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { ResponseCache, type CachedResponse } from './cache.js';
import { upstreamKey, type Upstream } from './upstreams.js';
import { buildUpstreamQuery, RCODE, walkResponse, type MessageLayout, type Query } from './wire.js';

export interface ForwarderOptions {
  /** Whole budget of one question across servers; then SERVFAIL (default 5 s). */
  timeoutMs?: number;
  /** How long one server may stay silent before the next is asked (default 2 s). */
  attemptTimeoutMs?: number;
  /** Questions in flight at once (default 1024). */
  maxInFlight?: number;
  /** Clients waiting on one question in flight (default 256). */
  maxWaiters?: number;
  cache?: ResponseCache;
  /** Hears about each upstream exchange (metrics). */
  onExchange?(upstream: Upstream, rcode: number | 'timeout' | 'error', seconds: number): void;
}

export type ForwardResult =
  | { ok: true; buf: Buffer; layout: MessageLayout; ageSeconds: number; cached: boolean }
  | { ok: false; rcode: number; reason: string };

interface Pending {
  question: Buffer;
  resolve(buf: Buffer | undefined): void;
}

const MAX_TCP_MESSAGE = 65535;

export class Forwarder {
  readonly cache: ResponseCache;
  private readonly inFlight = new Map<string, { promise: Promise<ForwardResult>; waiters: number }>();
  private readonly pending = new Map<string, Pending>();
  private sockets: Partial<Record<4 | 6, dgram.Socket>> = {};
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxWaiters: number;
  private closed = false;

  constructor(private readonly opts: ForwarderOptions = {}) {
    this.cache = opts.cache ?? new ResponseCache();
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
    this.maxInFlight = opts.maxInFlight ?? 1024;
    this.maxWaiters = opts.maxWaiters ?? 256;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** The cached answer to this question, if there is one (no I/O, no promise). */
  cached(q: Query, now = Date.now()): ForwardResult | undefined {
    const hit = this.cache.get(ResponseCache.key(q.name, q.type, q.class, q.edns?.dnssecOk ?? false), now);
    return hit && this.fromCache(hit, now);
  }

  /** A cached answer, or the servers' answer (shared with identical questions in flight). */
  async forward(q: Query, servers: Upstream[]): Promise<ForwardResult> {
    const key = ResponseCache.key(q.name, q.type, q.class, q.edns?.dnssecOk ?? false);
    const now = Date.now();
    const hit = this.cache.get(key, now);
    if (hit) return this.fromCache(hit, now);
    if (!servers.length) return { ok: false, rcode: RCODE.SERVFAIL, reason: 'no upstream nameservers' };
    const flight = this.inFlight.get(key);
    if (flight) {
      if (flight.waiters >= this.maxWaiters) return { ok: false, rcode: RCODE.SERVFAIL, reason: 'too many clients waiting on one question' };
      flight.waiters++;
      return flight.promise;
    }
    if (this.inFlight.size >= this.maxInFlight) return { ok: false, rcode: RCODE.SERVFAIL, reason: 'too many questions in flight' };
    const promise = this.exchangeAll(q, servers)
      .then((r) => {
        if (r.ok) this.cache.put(key, r.buf, r.layout);
        return r;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, { promise, waiters: 1 });
    return promise;
  }

  private fromCache(hit: CachedResponse, now: number): ForwardResult {
    return { ok: true, buf: hit.buf, layout: hit.layout, ageSeconds: Math.floor((now - hit.storedAt) / 1000), cached: true };
  }

  private async exchangeAll(q: Query, servers: Upstream[]): Promise<ForwardResult> {
    const deadline = Date.now() + this.timeoutMs;
    let last: ForwardResult = { ok: false, rcode: RCODE.SERVFAIL, reason: 'upstream timed out' };
    for (let i = 0; Date.now() < deadline && !this.closed; i++) {
      const server = servers[i % servers.length]!;
      const started = process.hrtime.bigint();
      const wait = Math.min(this.attemptTimeoutMs, deadline - Date.now());
      let buf: Buffer | undefined;
      try {
        buf = await this.udpExchange(q, server, wait);
        let layout = buf && walkResponse(buf);
        if (buf && layout?.truncated) {
          buf = await tcpExchange(buildUpstreamQuery(randomInt(65536), q.question, q.edns?.dnssecOk ?? false), server, Math.max(1, deadline - Date.now()));
          layout = walkResponse(buf);
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (!buf) {
          this.opts.onExchange?.(server, 'timeout', seconds);
          last = { ok: false, rcode: RCODE.SERVFAIL, reason: `${upstreamKey(server)} did not answer in time` };
          continue;
        }
        if (!layout) {
          this.opts.onExchange?.(server, 'error', seconds);
          last = { ok: false, rcode: RCODE.SERVFAIL, reason: `${upstreamKey(server)} sent a malformed answer` };
          continue;
        }
        this.opts.onExchange?.(server, layout.rcode, seconds);
        // SERVFAIL and REFUSED from one server: another may do better (as CoreDNS's forward).
        if (layout.rcode === RCODE.SERVFAIL || layout.rcode === RCODE.REFUSED) {
          last = { ok: true, buf, layout, ageSeconds: 0, cached: false };
          if (i + 1 < servers.length) continue;
        }
        return { ok: true, buf, layout, ageSeconds: 0, cached: false };
      } catch (err) {
        this.opts.onExchange?.(server, 'error', Number(process.hrtime.bigint() - started) / 1e9);
        last = { ok: false, rcode: RCODE.SERVFAIL, reason: `${upstreamKey(server)}: ${(err as Error).message}` };
        if (i + 1 >= servers.length * 3) break;
      }
    }
    return last;
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets[family];
    if (s) return s;
    s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    s.on('error', () => {
      /* per-send errors surface through send's callback */
    });
    s.unref();
    this.sockets[family] = s;
    return s;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12) return;
    const key = `${upstreamKey({ host: rinfo.address, port: rinfo.port })}#${msg.readUInt16BE(0)}`;
    const p = this.pending.get(key);
    // The answer must be to our question, from the server we asked (RFC 5452).
    if (!p || msg.length < 12 + p.question.length || !msg.subarray(12, 12 + p.question.length).equals(p.question)) return;
    this.pending.delete(key);
    p.resolve(msg);
  }

  private udpExchange(q: Query, server: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
    const family = net.isIPv6(server.host) ? 6 : 4;
    let id = 0;
    let key = '';
    for (let i = 0; i < 8; i++) {
      id = randomInt(65536);
      key = `${upstreamKey(server)}#${id}`;
      if (!this.pending.has(key)) break;
    }
    const packet = buildUpstreamQuery(id, q.question, q.edns?.dnssecOk ?? false);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(key, {
        question: packet.subarray(12, 12 + q.question.length),
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
      });
      this.socket(family).send(packet, server.port, server.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(key);
        reject(err);
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.resolve(undefined);
    this.pending.clear();
    for (const s of Object.values(this.sockets)) s?.close();
    this.sockets = {};
  }
}

/** One query over TCP (two-byte length prefix), the answer bounded to 64 KiB. */
export function tcpExchange(query: Buffer, server: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (err?: Error, buf?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf!);
    };
    const timer = setTimeout(() => done(new Error(`TCP to ${upstreamKey(server)} timed out`)), timeoutMs);
    sock.on('error', (err) => done(err));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d) => {
      chunks.push(d);
      got += d.length;
      if (got > MAX_TCP_MESSAGE + 2) return done(new Error('TCP answer too long'));
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) done(undefined, all.subarray(2, 2 + all.readUInt16BE(0)));
    });
    sock.on('end', () => done(new Error(`${upstreamKey(server)} closed the TCP connection before answering`)));
  });
}
