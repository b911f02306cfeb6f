// gRPC probes: one unary call of the standard health service (grpc.health.v1.Health/Check)
// over HTTP/2 without TLS, as the kubelet makes it. The two tiny messages are encoded by
// hand (a string field 1 out, an enum field 1 back), so no gRPC library is needed.
import { connect, constants } from 'node:http2';
import type { ProbeOutcome } from './probe-result.js';

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const GRPC_UNIMPLEMENTED = 12;

/** HealthCheckRequest { string service = 1; } in a gRPC length-prefixed frame. */
export function encodeHealthRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const msg = s.length ? Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** HealthCheckResponse { ServingStatus status = 1; } from a gRPC frame; 0 (UNKNOWN) when absent. */
export function decodeHealthResponse(frame: Buffer): number {
  if (frame.length < 5) throw new Error('short gRPC frame');
  if (frame[0] !== 0) throw new Error('compressed gRPC responses are not supported');
  const len = frame.readUInt32BE(1);
  const msg = frame.subarray(5, 5 + len);
  let i = 0;
  let status = 0;
  while (i < msg.length) {
    const key = msg[i++]!;
    if (key === 0x08) {
      let v = 0,
        shift = 0,
        b: number;
      do {
        b = msg[i++]!;
        v |= (b & 0x7f) << shift;
        shift += 7;
      } while (b & 0x80 && i < msg.length);
      status = v;
    } else if ((key & 7) === 2) {
      // A length-delimited field this probe does not know: skip it.
      const len2 = msg[i++]!;
      i += len2;
    } else break;
  }
  return status;
}

export function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const authority = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const secs = `${timeoutMs / 1000}s`;
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const session = connect(authority);
    const done = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () =>
        done(
          connected
            ? { result: 'Failure', output: `timeout: health rpc did not complete within ${secs}` }
            : { result: 'Failure', output: `timeout: failed to connect service "${host}:${port}" within ${secs}` },
        ),
      timeoutMs,
    );
    session.on('connect', () => (connected = true));
    session.on('error', (err) => done({ result: 'Failure', output: `timeout: failed to connect service "${host}:${port}" within ${secs}: ${err.message}` }));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe/1.32',
    });
    const chunks: Buffer[] = [];
    let headerStatus: string | undefined;
    let headerMessage: string | undefined;
    req.on('response', (h) => {
      headerStatus = h['grpc-status'] as string | undefined;
      headerMessage = h['grpc-message'] as string | undefined;
    });
    req.on('trailers', (t) => {
      headerStatus = (t['grpc-status'] as string | undefined) ?? headerStatus;
      headerMessage = (t['grpc-message'] as string | undefined) ?? headerMessage;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) =>
      done(
        connected
          ? { result: 'Failure', output: `error: health rpc probe failed: ${err.message}` }
          : { result: 'Failure', output: `timeout: failed to connect service "${host}:${port}" within ${secs}: ${err.message}` },
      ),
    );
    req.on('end', () => {
      const code = Number(headerStatus ?? 0);
      if (code === GRPC_UNIMPLEMENTED) {
        return done({
          result: 'Failure',
          output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${decodeURIComponent(headerMessage ?? '')}`,
        });
      }
      if (code !== 0)
        return done({
          result: 'Failure',
          output: `error: health rpc probe failed: rpc error: code = ${code} desc = ${decodeURIComponent(headerMessage ?? '')}`,
        });
      let status: number;
      try {
        status = decodeHealthResponse(Buffer.concat(chunks));
      } catch (err) {
        return done({ result: 'Failure', output: `error: health rpc probe failed: ${(err as Error).message}` });
      }
      if (status === 1) return done({ result: 'Success', output: '' });
      done({ result: 'Failure', output: `service unhealthy (responded with "${STATUS_NAMES[status] ?? String(status)}")` });
    });
    req.end(encodeHealthRequest(service));
  });
}
