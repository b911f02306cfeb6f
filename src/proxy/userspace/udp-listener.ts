// One UDP socket of the userspace proxy. Each client address:port is a session with its own
// socket talking to the endpoint the balancer chose; replies come back to the client from
// the service's socket. A session ends after the idle timeout, or at once when its endpoint
// leaves (so a client does not keep talking to a gone pod, like the conntrack flush of the
// kernel modes). Without endpoints datagrams are dropped.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../../util/log.js';
import type { Backend, RoundRobin } from './round-robin.js';

interface Session {
  backend: Backend;
  upstream: Socket;
  timer: NodeJS.Timeout;
}

export class UdpListener {
  private socket?: Socket;
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly balancer: () => RoundRobin,
    private readonly log: Logger,
    private readonly idleMs: number,
  ) {}

  listen(host: string, port: number): Promise<number> {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.forward(msg, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.log.warn('udp listener error', { host, port, error: err.message }));
        resolve(socket.address().port);
      });
    });
  }

  private forward(msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let session = this.sessions.get(key);
    if (!session) {
      const backend = this.balancer().pick(address);
      if (!backend) return;
      session = this.open(key, backend, address, port);
    }
    this.touch(key, session);
    const { ip, port: bport } = session.backend;
    session.upstream.send(msg, bport, ip, (err) => err && this.end(key));
  }

  private open(key: string, backend: Backend, address: string, port: number): Session {
    const upstream = createSocket('udp4');
    upstream.on('error', () => this.end(key));
    const session: Session = { backend, upstream, timer: setTimeout(() => {}, 0) };
    upstream.on('message', (reply, from) => {
      if (from.address !== backend.ip || from.port !== backend.port) return; // only the endpoint answers
      this.touch(key, session);
      this.socket?.send(reply, port, address);
    });
    this.sessions.set(key, session);
    return session;
  }

  private touch(key: string, s: Session): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => this.end(key), this.idleMs);
    s.timer.unref();
  }

  private end(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    clearTimeout(s.timer);
    try {
      s.upstream.close();
    } catch {
      /* already closed */
    }
  }

  /** Ends the sessions whose endpoint the balancer no longer has. */
  pruneSessions(): void {
    const balancer = this.balancer();
    for (const [key, s] of this.sessions) if (!balancer.has(s.backend)) this.end(key);
  }

  close(): Promise<void> {
    for (const key of [...this.sessions.keys()]) this.end(key);
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}
