// TCP probes: success is a connection opened within the timeout; it is closed at once.
import { connect } from 'node:net';
import type { ProbeOutcome } from './probe-result.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ result: 'Failure', output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    sock.once('connect', () => done({ result: 'Success', output: '' }));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.code === 'EHOSTUNREACH' ? 'connect: no route to host' : err.message;
      done({ result: 'Failure', output: `dial tcp ${addr}: ${why}` });
    });
  });
}
