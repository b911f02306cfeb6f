// SNI read from a real ClientHello (produced by Node's TLS client), whole and in pieces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { readSni } from '../../src/ingress/sni.js';

async function clientHello(servername?: string): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) =>
      s.once('data', (d) => {
        resolve(d);
        s.destroy();
      }),
    ),
  );
  const c = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername, rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

test('readSni finds the server name of a ClientHello and asks for more bytes when it is cut', async () => {
  const hello = await clientHello('Pass.Example.test');
  assert.deepEqual(readSni(hello), { more: false, tls: true, name: 'pass.example.test' });
  assert.deepEqual(readSni(hello.subarray(0, 3)), { more: true });
  assert.deepEqual(readSni(hello.subarray(0, hello.length - 1)), { more: true });
  assert.deepEqual(readSni(Buffer.from('GET / HTTP/1.1\r\n')), { more: false, tls: false });
});
