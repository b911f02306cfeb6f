// The upstream response parser on its own: each body framing, fed whole and byte by byte,
// 1xx answers skipped, bodiless answers, keep-alive decisions, and malformed responses refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser, type ResponseHead } from '../../src/ingress/response-parser.js';

interface Parsed {
  head?: ResponseHead;
  body: string;
  ended: boolean;
  leftover: boolean;
}

function parse(method: string, wire: string, opts: { byteByByte?: boolean; eof?: boolean } = {}): Parsed {
  const out: Parsed = { body: '', ended: false, leftover: false };
  const p = new ResponseParser(method, {
    head: (h) => {
      assert.equal(out.head, undefined, 'one head per response');
      out.head = h;
    },
    body: (c) => (out.body += c.toString('latin1')),
    end: () => (out.ended = true),
  });
  const bytes = Buffer.from(wire, 'latin1');
  if (opts.byteByByte) for (let i = 0; i < bytes.length; i++) p.feed(bytes.subarray(i, i + 1));
  else p.feed(bytes);
  if (opts.eof) p.eof();
  out.leftover = p.leftover;
  return out;
}

test('Content-Length and chunked bodies come out decoded, whole or one byte at a time', () => {
  for (const byteByByte of [false, true]) {
    const fixed = parse('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello', { byteByByte });
    assert.equal(fixed.head?.status, 200);
    assert.equal(fixed.head?.headers['x-a'], '1');
    assert.equal(fixed.body, 'hello');
    assert.ok(fixed.ended && fixed.head?.keepAlive && !fixed.leftover);

    const chunked = parse('GET', 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n', {
      byteByByte,
    });
    assert.equal(chunked.head?.status, 201);
    assert.equal(chunked.body, 'hello, world');
    assert.ok(chunked.ended && chunked.head?.keepAlive);
  }
});

test('a body without length runs until the upstream closes, and that connection is not reused', () => {
  const r = parse('GET', 'HTTP/1.1 200 OK\r\n\r\nall of it', { eof: true });
  assert.equal(r.body, 'all of it');
  assert.ok(r.ended);
  assert.equal(r.head?.keepAlive, false);
});

test('a response cut off before its declared length is a hang-up', () => {
  assert.throws(() => parse('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', { eof: true }), { code: 'ECONNRESET' });
  assert.throws(() => parse('GET', 'HTTP/1.1 200 OK\r\nContent-', { eof: true }), { code: 'ECONNRESET' });
});

test('1xx answers are skipped; HEAD, 204 and 304 have no body whatever their headers say', () => {
  const r = parse('GET', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(r.head?.status, 200);
  assert.equal(r.body, 'ok');
  for (const [method, status] of [
    ['HEAD', 200],
    ['GET', 204],
    ['GET', 304],
  ] as const) {
    const b = parse(method, `HTTP/1.1 ${status} X\r\nContent-Length: 50\r\n\r\n`);
    assert.equal(b.head?.status, status);
    assert.ok(b.ended, `${method} ${status} ends with its head`);
    assert.equal(b.body, '');
  }
});

test('keep-alive: HTTP/1.1 unless Connection: close, HTTP/1.0 only when asked; the Keep-Alive timeout is read', () => {
  assert.equal(parse('GET', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').head?.keepAlive, false);
  assert.equal(parse('GET', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').head?.keepAlive, false);
  const ka = parse('GET', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n').head;
  assert.equal(ka?.keepAlive, true);
  assert.equal(ka?.idleSeconds, 5);
});

test('repeated headers: Set-Cookie kept apart, lists joined, single-valued ones keep the first', () => {
  const h = parse(
    'GET',
    'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: a\r\nVary: b\r\nContent-Type: x/1\r\nContent-Type: x/2\r\nContent-Length: 0\r\n\r\n',
  ).head!.headers;
  assert.deepEqual(h['set-cookie'], ['a=1', 'b=2']);
  assert.equal(h.vary, 'a, b');
  assert.equal(h['content-type'], 'x/1');
});

test('Transfer-Encoding wins over Content-Length, which is not passed on; bytes past the response are flagged', () => {
  const r = parse('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
  assert.equal(r.body, 'ok');
  assert.equal(r.head?.headers['content-length'], undefined);
  assert.equal(parse('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA').leftover, true);
});

test('malformed responses are refused', () => {
  for (const wire of [
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX',
    'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  ])
    assert.throws(() => parse('GET', wire), { code: 'HPE_INVALID_RESPONSE' }, JSON.stringify(wire));
  assert.throws(() => parse('GET', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70 * 1024)}`), { code: 'HPE_INVALID_RESPONSE' });
});
