// The watch writer against a real loopback socket whose client stops reading.
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WatchWriter } from '../../src/apiserver/watch-writer.js';

test('a burst that overfills a stalled watcher closes it once the stall has lasted, with no later event', async () => {
  let overflowed: number | undefined;
  let wrote = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const w = new WatchWriter(res, 1024 * 1024, () => {
      overflowed = Date.now();
    });
    // One burst of 8 MiB, then silence: nothing else would ever call push().
    for (let i = 0; i < 8; i++) w.push(Buffer.alloc(1024 * 1024, 0x61));
    wrote = Date.now();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let client: IncomingMessage | undefined;
  try {
    const port = (server.address() as AddressInfo).port;
    client = await new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port, path: '/' }, resolve).on('error', reject));
    client.pause();
    const deadline = Date.now() + 15_000;
    while (overflowed === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(overflowed !== undefined, 'the stalled watcher was never given up on');
    // Judged after the stall period (3 s), not at once.
    assert.ok(overflowed - wrote >= 2_900, `given up ${overflowed - wrote} ms after the burst`);
    // The client that reads again gets whole events up to the close, then the end.
    let bytes = 0;
    client.on('data', (b: Buffer) => {
      bytes += b.length;
    });
    const ended = new Promise<void>((r) => client!.once('end', r).once('close', r));
    client.resume();
    await ended;
    assert.equal(bytes % (1024 * 1024), 0, `a partial event reached the client: ${bytes} bytes`);
    assert.ok(bytes < 8 * 1024 * 1024, 'the whole queue was sent although the watcher was closed');
  } finally {
    client?.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
