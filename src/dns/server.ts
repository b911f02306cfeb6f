// The DNS server: UDP and TCP listeners on the node's addresses, each query answered from
// the cluster zone or forwarded upstream. What a client sends is never trusted: malformed
// messages get FORMERR or are dropped, TCP messages and connections are bounded, and every
// table (cluster answers, forwarded answers, questions in flight) has a size limit.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from '../util/log.js';
import { AnswerCache, type CachedAnswer } from './answer-cache.js';
import type { Forwarder } from './forwarder.js';
import { type DnsMetrics, rcodeName, typeLabel } from './metrics.js';
import type { CidrSet } from './names.js';
import type { ClusterZone, LookupResult, RR } from './records.js';
import { upstreamKey, upstreamsFor, type Upstream, type UpstreamConfig } from './upstreams.js';
import { CLASS_IN, encodeResponse, parseQuery, RCODE, rcodeOnly, relayResponse, truncated, TYPE, udpLimit, type Query } from './wire.js';

export const LOOP_PROBE_SUFFIX = 'skiff-loop-check.invalid';
const MAX_TCP_QUERY = 4096;
const MAX_TCP_PENDING = 16;

export interface DnsServerOptions {
  zone: ClusterZone;
  forwarder: Forwarder;
  /** The upstream servers as configured now (resolv.conf, the skiff-dns ConfigMap). */
  upstreams(): UpstreamConfig;
  metrics: DnsMetrics;
  log: Logger;
  /** Cluster answers kept encoded until the cluster changes (default 20,000). */
  answerCacheSize?: number;
  maxTcpConnections?: number;
  tcpIdleMs?: number;
  /**
   * Clients whose names outside the cluster are forwarded (CIDRs); others get REFUSED for
   * them, so that a listener on a node address is no open resolver. Undefined: everyone.
   */
  recursionClients?(): CidrSet | undefined;
}

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
  host: string;
}

type Reply = Buffer | undefined;

// dgram asks with the socket's own family (4 or 6), which is the address's: no parsing per reply.
const literalAddress = (address: string, family: unknown, cb: (err: null, address: string, family: number) => void) => cb(null, address, family === 6 ? 6 : 4);

export class DnsServer {
  private readonly answers: AnswerCache;
  private listeners: Listener[] = [];
  private readonly looping = new Set<string>();
  private readonly probes = new Map<string, Upstream>();
  private serverLabel = 'dns://:53';
  private readonly labelCache = new Map<string, any>();
  private readonly tcpSockets = new Set<net.Socket>();

  constructor(private readonly opts: DnsServerOptions) {
    this.answers = new AnswerCache(opts.answerCacheSize ?? 20_000);
  }

  /** The cluster changed: every cached cluster answer may be stale. */
  invalidate(): void {
    this.answers.clear();
  }

  /** Upstreams found to send our own questions back to us. */
  loopingUpstreams(): string[] {
    return [...this.looping];
  }

  /** Binds UDP and TCP on each host at one port (0: a free one); resolves to the port. */
  async listen(hosts: string[], port: number): Promise<number> {
    let bound = port;
    for (const host of hosts) {
      const udp = dgram.createSocket({
        type: net.isIPv6(host) ? 'udp6' : 'udp4',
        recvBufferSize: 4 << 20,
        sendBufferSize: 4 << 20,
        // Replies go to the numeric address a query came from: no resolver, and no
        // deferred callback per packet as dns.lookup takes even for a numeric address.
        lookup: literalAddress,
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(bound, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      bound = udp.address().port;
      udp.on('error', (err) => this.opts.log.error('UDP listener failed', { host, error: err.message }));
      udp.on('message', (msg, rinfo) => this.onUdp(udp, msg, rinfo));
      const tcp = net.createServer((sock) => this.onTcp(sock));
      tcp.maxConnections = this.opts.maxTcpConnections ?? 256;
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(bound, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        throw err;
      }
      tcp.on('error', (err) => this.opts.log.error('TCP listener failed', { host, error: err.message }));
      this.listeners.push({ udp, tcp, host });
    }
    this.serverLabel = `dns://:${bound}`;
    this.opts.metrics.queries.server = this.serverLabel;
    return bound;
  }

  async close(): Promise<void> {
    for (const s of this.tcpSockets) s.destroy();
    await Promise.all(
      this.listeners.map(
        (l) =>
          new Promise<void>((r) => {
            l.udp.close();
            l.tcp.close(() => r());
          }),
      ),
    );
    this.listeners = [];
  }

  private onUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const started = performance.now();
    const family = rinfo.family === 'IPv6' ? 2 : 1;
    const hit = this.answers.find(msg);
    if (hit && hit.response.length <= this.answers.udpLimit) {
      // The cache entry's own buffer: the kernel copies a datagram it takes at once; one it
      // cannot take yet waits in the socket's queue with that buffer, which then stays its.
      sock.send(this.answers.lend(hit, msg), rinfo.port, rinfo.address);
      if (sock.getSendQueueCount() > 0) this.answers.keep(hit);
      this.count('udp', family, hit.typeName, hit.rcode, 'kubernetes', started);
      return;
    }
    const reply = this.resolve(msg, 'udp', family, rinfo.address, hit, started);
    if (reply instanceof Promise) this.sendLater(sock, reply, rinfo);
    else if (reply) sock.send(reply, rinfo.port, rinfo.address);
  }

  /** Apart from onUdp, which runs per query: its closures would cost a context on every call. */
  private sendLater(sock: dgram.Socket, reply: Promise<Reply>, rinfo: dgram.RemoteInfo): void {
    reply.then(
      (r) => {
        if (r) sock.send(r, rinfo.port, rinfo.address);
      },
      (err: Error) => this.opts.log.error('query failed', { error: err.message }),
    );
  }

  private onTcp(sock: net.Socket): void {
    this.tcpSockets.add(sock);
    sock.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.tcpSockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    let pending = 0;
    const family = sock.remoteFamily === 'IPv6' ? 2 : 1;
    const client = sock.remoteAddress ?? '';
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        // No query needs more than a few hundred bytes: a longer one is an attack or garbage.
        if (len < 12 || len > MAX_TCP_QUERY) {
          sock.destroy();
          return;
        }
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (++pending > MAX_TCP_PENDING) {
          sock.destroy();
          return;
        }
        const write = (r: Reply) => {
          pending--;
          if (!r || sock.destroyed) return;
          const len2 = Buffer.alloc(2);
          len2.writeUInt16BE(r.length);
          sock.write(Buffer.concat([len2, r]));
        };
        const reply = this.handle(msg, 'tcp', family, client);
        if (reply instanceof Promise) reply.then(write, () => write(undefined));
        else write(reply);
      }
      if (buf.length > MAX_TCP_QUERY + 2) sock.destroy();
    });
  }

  /** Answers one message: synchronously from the zone or caches, else once upstream has answered. */
  handle(msg: Buffer, proto: 'udp' | 'tcp', family: 1 | 2, client = '127.0.0.1'): Reply | Promise<Reply> {
    const started = performance.now();
    // The common case: a plain question answered before, since the cluster last changed. It
    // stays free of closures: a function whose variables a closure captures allocates their
    // context on every call, and this one runs for every query.
    const hit = this.answers.find(msg);
    if (hit && (proto === 'tcp' || hit.response.length <= this.answers.udpLimit)) {
      const r = this.answers.reply(hit, msg);
      this.count(proto, family, hit.typeName, hit.rcode, 'kubernetes', started);
      return r;
    }
    return this.resolve(msg, proto, family, client, hit, started);
  }

  /** Everything but a cached cluster answer that fits: parsed, then looked up or forwarded. */
  private resolve(msg: Buffer, proto: 'udp' | 'tcp', family: 1 | 2, client: string, hit: CachedAnswer | undefined, started: number): Reply | Promise<Reply> {
    const parsed = parseQuery(msg);
    if (!('query' in parsed)) {
      if (parsed.reply) this.count(proto, family, 'other', parsed.reply.readUInt16BE(2) & 0xf, 'skiff', started);
      return parsed.reply;
    }
    const q = parsed.query;
    const limit = proto === 'udp' ? udpLimit(q) : 65535;
    const done = (r: Buffer, plugin: string): Buffer => {
      this.count(proto, family, q.typeName, r.readUInt16BE(2) & 0xf, plugin, started);
      return r;
    };
    if (q.edns && q.edns.version > 0) return done(encodeResponse(q, { rcode: RCODE.BADVERS }), 'skiff');
    if (q.type === TYPE.AXFR || q.type === TYPE.IXFR) return done(rcodeOnly(q, RCODE.REFUSED), 'skiff');
    const name = q.name.toLowerCase();
    if (name.endsWith(LOOP_PROBE_SUFFIX) && (name === LOOP_PROBE_SUFFIX || name.endsWith(`.${LOOP_PROBE_SUFFIX}`)))
      return done(this.loopProbeArrived(q, name), 'loop');

    if (this.opts.zone.owns(name) || name.endsWith('.arpa')) {
      // Answered before, but too big for this asker's UDP size: "ask again over TCP".
      if (hit) return done(truncated(q, hit.rcode, true), 'kubernetes');
      const result = q.class === CLASS_IN ? this.opts.zone.lookup(q.name, q.typeName) : this.opts.zone.owns(name) ? 'refused' : undefined;
      if (result === 'refused') return done(rcodeOnly(q, RCODE.REFUSED), 'kubernetes');
      if (result?.externalTarget) return this.chaseExternal(q, result, limit).then((r) => done(r, 'kubernetes'));
      if (result) {
        const full = encodeResponse(q, { ...result, rcode: RCODE[result.rcode], authoritative: true });
        this.answers.store(msg, full, q.typeName, full.readUInt16BE(2) & 0xf);
        return done(this.fit(q, full, limit), 'kubernetes');
      }
    }
    const allowed = this.opts.recursionClients?.();
    if (allowed && !allowed.has(client)) return done(rcodeOnly(q, RCODE.REFUSED), 'acl');
    // Answered from the cache without a round through a promise: the common case.
    const kept = this.opts.forwarder.cached(q);
    if (kept?.ok) {
      this.countCacheHit(kept.layout.answerCount > 0);
      return done(relayResponse(q, kept.buf, kept.layout, kept.ageSeconds, limit), 'forward');
    }
    return this.forward(q, name, limit).then((r) => done(r, 'forward'));
  }

  /** A cached full answer for this query: its ID, or truncated when over the limit. */
  private fit(q: Query, full: Buffer, limit: number): Buffer {
    if (full.length > limit) return truncated(q, full.readUInt16BE(2) & 0xf, true);
    const out = Buffer.from(full);
    out.writeUInt16BE(q.id, 0);
    return out;
  }

  private async forward(q: Query, name: string, limit: number): Promise<Buffer> {
    const route = upstreamsFor(this.opts.upstreams(), name);
    const servers = route.servers.filter((s) => !this.looping.has(upstreamKey(s)));
    const r = await this.opts.forwarder.forward(q, servers);
    const m = this.opts.metrics;
    if (r.ok && r.cached) this.countCacheHit(r.layout.answerCount > 0);
    else this.child(m.cacheMisses, this.serverLabel, '.').inc();
    if (!r.ok) return rcodeOnly(q, r.rcode);
    return relayResponse(q, r.buf, r.layout, r.ageSeconds, limit);
  }

  /** An ExternalName's CNAME, followed by the target's addresses as upstream gives them. */
  private async chaseExternal(q: Query, result: LookupResult, limit: number): Promise<Buffer> {
    const target = result.externalTarget!;
    const question = dnsPacket.encode({ type: 'query', id: 0, questions: [{ name: target, type: q.typeName as 'A', class: 'IN' }] }).subarray(12);
    const tq: Query = { ...q, name: target, question };
    const route = upstreamsFor(this.opts.upstreams(), target);
    const r = await this.opts.forwarder.forward(
      tq,
      route.servers.filter((s) => !this.looping.has(upstreamKey(s))),
    );
    const answers: RR[] = [...result.answers];
    if (r.ok) {
      try {
        const decoded = dnsPacket.decode(r.buf);
        for (const a of decoded.answers ?? [])
          if (a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME')
            answers.push({ ...(a as RR), ttl: Math.max(0, (a.ttl ?? 0) - r.ageSeconds), class: 'IN' });
      } catch {
        /* the CNAME alone still answers */
      }
    }
    return encodeResponse(q, { rcode: RCODE.NOERROR, authoritative: true, answers }, limit);
  }

  /**
   * Sends a probe for a random name under skiff-loop-check.invalid to each upstream: a
   * server that is not us answers (NXDOMAIN); if the probe comes back to our own listener,
   * that upstream forwards to us, and it is taken out of use (CoreDNS's `loop` plugin).
   */
  probeLoops(servers: Upstream[]): void {
    for (const s of servers) {
      const token = `${Math.random().toString(36).slice(2, 10)}.${LOOP_PROBE_SUFFIX}`;
      this.probes.set(token, s);
      const question = dnsPacket.encode({ type: 'query', id: 0, questions: [{ name: token, type: 'HINFO', class: 'IN' }] }).subarray(12);
      const q: Query = { id: 0, recursionDesired: true, name: token, type: 13, typeName: 'HINFO', class: CLASS_IN, question };
      void this.opts.forwarder.forward(q, [s]).finally(() => setTimeout(() => this.probes.delete(token), 10_000).unref());
    }
  }

  private loopProbeArrived(q: Query, name: string): Buffer {
    const upstream = this.probes.get(name);
    if (upstream) this.excludeUpstream(upstream, 'our loop probe came back to us through it');
    return rcodeOnly(q, RCODE.REFUSED);
  }

  /** The configuration changed: every upstream gets another chance (and another probe). */
  forgetLoops(): void {
    this.looping.clear();
  }

  /** Takes an upstream out of use until the configuration changes: it sends our questions back to us. */
  excludeUpstream(upstream: Upstream, why: string): void {
    const key = upstreamKey(upstream);
    if (this.looping.has(key)) return;
    this.looping.add(key);
    this.opts.log.error("forwarding loop detected: this upstream nameserver is no longer used (fix the node's resolv.conf or the skiff-dns ConfigMap)", {
      upstream: key,
      why,
    });
  }

  private countCacheHit(answered: boolean): void {
    const hits = this.opts.metrics.cacheHitCounts;
    if (answered) hits.success++;
    else hits.denial++;
  }

  private child(metric: { labels(...v: string[]): any }, ...values: string[]): { inc(): void; observe(v: number): void } {
    const key = `${(metric as { name?: string }).name ?? ''}\0${values.join('\0')}`;
    let c = this.labelCache.get(key);
    if (!c) {
      c = metric.labels(...values);
      if (this.labelCache.size < 10_000) this.labelCache.set(key, c);
    }
    return c;
  }

  private count(proto: string, family: number, typeName: string, rcode: number, plugin: string, started: number): void {
    this.opts.metrics.queries.record(proto, family, typeLabel(typeName), rcodeName(rcode), plugin, (performance.now() - started) / 1000);
  }
}
