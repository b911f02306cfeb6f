// The gRPC probe against a real HTTP/2 server on loopback that speaks the gRPC health
// protocol's wire format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeHealthResponse, encodeHealthRequest, grpcProbe } from '../../../src/kubelet/prober/grpc-probe.js';

function frame(msg: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

test('health request and response frames', () => {
  assert.deepEqual(encodeHealthRequest(''), Buffer.from([0, 0, 0, 0, 0]));
  assert.deepEqual(encodeHealthRequest('db'), Buffer.from([0, 0, 0, 0, 4, 0x0a, 2, 0x64, 0x62]));
  assert.equal(decodeHealthResponse(frame(Buffer.from([0x08, 1]))), 1);
  assert.equal(decodeHealthResponse(frame(Buffer.alloc(0))), 0);
  assert.throws(() => decodeHealthResponse(Buffer.from([0, 0])), /short gRPC frame/);
});

test('grpc probe: SERVING succeeds, NOT_SERVING fails, no health service fails, nobody listening fails', async () => {
  const server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const req = Buffer.concat(chunks).subarray(5);
      const service = req.length ? req.subarray(2).toString() : '';
      if (headers[':path'] !== '/grpc.health.v1.Health/Check' || service === 'unimpl') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service' }, { endStream: true });
        return;
      }
      const status = service === '' ? 1 : service === 'db' ? 2 : 3;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(Buffer.from([0x08, status])));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    assert.deepEqual(await grpcProbe('127.0.0.1', port, '', 1000), { result: 'Success', output: '' });
    assert.deepEqual(await grpcProbe('127.0.0.1', port, 'db', 1000), { result: 'Failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.deepEqual(await grpcProbe('127.0.0.1', port, 'other', 1000), { result: 'Failure', output: 'service unhealthy (responded with "SERVICE_UNKNOWN")' });
    assert.deepEqual(await grpcProbe('127.0.0.1', port, 'unimpl', 1000), {
      result: 'Failure',
      output: 'this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service',
    });
  } finally {
    server.close();
  }
  const closed = await grpcProbe('127.0.0.1', port, '', 1000);
  assert.equal(closed.result, 'Failure');
  assert.match(closed.output, /^timeout: failed to connect service "127\.0\.0\.1:\d+" within 1s/);
});
