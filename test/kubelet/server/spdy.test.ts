// SPDY/3 framing and sessions: frames cut from arbitrary chunks, header blocks compressed
// with the shared dictionary context, and a client and a server session over loopback TCP
// (streams, data both ways, half-close, reset, ping echo, GOAWAY).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { inflateSync } from 'node:zlib';
import {
  controlFrame,
  dataFrames,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameParser,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  SPDY_DICTIONARY,
} from '../../../src/kubelet/server/spdy-frames.js';
import { SpdySession, type SpdyStream } from '../../../src/kubelet/server/spdy-session.js';

test('the dictionary has the SPDY/3 layout: 65 length-prefixed names, then common values', () => {
  assert.equal(SPDY_DICTIONARY.length, 1423);
  assert.equal(SPDY_DICTIONARY.readUInt32BE(0), 7);
  assert.equal(SPDY_DICTIONARY.subarray(4, 11).toString(), 'options');
  assert.ok(SPDY_DICTIONARY.toString('latin1').endsWith('utf-,*,enq=0.'));
});

test('frames are cut correctly from byte-at-a-time input', () => {
  const wire = Buffer.concat([
    controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 1])),
    ...dataFrames(3, Buffer.from('hello'), true),
    ...dataFrames(5, Buffer.alloc(0), false),
  ]);
  const p = new FrameParser();
  const frames = [...wire].flatMap((b) => p.push(Buffer.from([b])));
  assert.equal(frames.length, 3);
  assert.deepEqual(frames[0], { control: true, type: FrameType.Ping, flags: 0, payload: Buffer.from([0, 0, 0, 1]) });
  assert.deepEqual(frames[1], { control: false, streamId: 3, flags: FLAG_FIN, data: Buffer.from('hello') });
  assert.deepEqual(frames[2], { control: false, streamId: 5, flags: 0, data: Buffer.alloc(0) });
  assert.throws(() => new FrameParser().push(Buffer.from([0x80, 2, 0, 1, 0, 0, 0, 0])), /unsupported SPDY version 2/);
});

test('header blocks: names lower-cased, lengths checked', () => {
  const block = encodeHeaderBlock({ StreamType: 'stdin', port: '8080' });
  assert.deepEqual(decodeHeaderBlock(block), { streamtype: 'stdin', port: '8080' });
  assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
});

test('compressed header blocks share one zlib context per direction, primed with the dictionary', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const first = await c.compress({ streamtype: 'error' });
  const second = await c.compress({ streamtype: 'stdout' });
  // The first block is a zlib stream that names the dictionary and inflates with it alone.
  assert.equal(first[0], 0x78);
  assert.ok(first[1]! & 0x20, 'FDICT set');
  assert.deepEqual(decodeHeaderBlock(inflateSync(first, { dictionary: SPDY_DICTIONARY, finishFlush: 2 })), { streamtype: 'error' });
  // The second continues the same stream: it decodes only in sequence.
  assert.deepEqual(await d.decompress(first), { streamtype: 'error' });
  assert.deepEqual(await d.decompress(second), { streamtype: 'stdout' });
  c.close();
  d.close();
});

async function sessionPair(t: { after(fn: () => unknown): void }): Promise<{ client: SpdySession; server: SpdySession }> {
  let serverSide!: SpdySession;
  const accepted = new Promise<void>((resolve) => {
    const srv = net.createServer((sock) => {
      serverSide = new SpdySession(sock, 'server');
      resolve();
    });
    srv.listen(0, '127.0.0.1');
    t.after(() => srv.close());
    srv.once('listening', () => {
      const port = (srv.address() as net.AddressInfo).port;
      const sock = net.connect(port, '127.0.0.1');
      clientSock = sock;
    });
  });
  let clientSock!: net.Socket;
  await accepted;
  const client = new SpdySession(clientSock, 'client');
  t.after(() => {
    client.destroy();
    serverSide.destroy();
  });
  return { client, server: serverSide };
}

function collect(s: SpdyStream): Promise<string> {
  const chunks: Buffer[] = [];
  s.on('data', (b: Buffer) => chunks.push(b));
  return new Promise((resolve) => s.once('end', () => resolve(Buffer.concat(chunks).toString())));
}

test('a client and a server session exchange streams, data and half-closes', async (t) => {
  const { client, server } = await sessionPair(t);
  const got = new Promise<SpdyStream>((resolve) => server.on('stream', resolve));
  const s = client.openStream({ streamType: 'stdin' });
  const replied = new Promise((resolve) => s.once('reply', resolve));
  s.write(Buffer.from('echo '));
  s.write(Buffer.from('me'));
  s.end();
  const peer = await got;
  assert.equal(peer.id, 1);
  assert.equal(peer.headers.streamtype, 'stdin');
  assert.equal(await collect(peer), 'echo me');
  await replied;
  // The other direction stays open after our half-close.
  const back = collect(s);
  peer.write(Buffer.from('done'));
  peer.end();
  assert.equal(await back, 'done');

  const second = client.openStream({ streamType: 'stdout' });
  assert.equal(second.id, 3);
  const peer2 = await new Promise<SpdyStream>((resolve) => server.once('stream', resolve));
  const ended = new Promise((resolve) => peer2.once('close', resolve));
  second.reset();
  await ended;
});

test('pings from the peer are echoed and GOAWAY closes the session', async (t) => {
  const { client, server } = await sessionPair(t);
  // A raw PING from the "server" socket side: the client answers with the same id.
  const sock = (server as unknown as { socket: net.Socket }).socket;
  const echoed = new Promise<Buffer>((resolve) => sock.once('data', resolve));
  sock.write(controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 2])));
  const frame = new FrameParser().push(await echoed)[0]!;
  assert.deepEqual(frame, { control: true, type: FrameType.Ping, flags: 0, payload: Buffer.from([0, 0, 0, 2]) });
  const closed = new Promise((resolve) => client.once('close', () => resolve(true)));
  server.close();
  assert.equal(await closed, true);
  assert.throws(() => client.openStream({}), /SPDY session is closed/);
});
