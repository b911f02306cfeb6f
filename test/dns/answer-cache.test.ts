// The encoded-answer cache: found from raw query bytes in any spelling of the name, made
// the asker's (ID, spelling) byte for byte as the full encoder would, and never found for
// a query that differs in what changes the answer or that the full parser must judge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { AnswerCache } from '../../src/dns/answer-cache.js';
import { encodeResponse, parseQuery, RCODE, type Query } from '../../src/dns/wire.js';
import type { RR } from '../../src/dns/records.js';

function query(name: string, opts: { id?: number; type?: string; rd?: boolean; edns?: boolean; dnssecOk?: boolean } = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 1,
    flags: opts.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: (opts.type ?? 'A') as 'A', class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as never] : [],
  });
}

const parsed = (msg: Buffer): Query => {
  const p = parseQuery(msg);
  assert.ok('query' in p, 'a valid query');
  return p.query;
};

/** What the server's full path sends: records owned by the name as asked, SOA of the zone. */
function answerFor(msg: Buffer): Buffer {
  const q = parsed(msg);
  const answers: RR[] = [
    { name: q.name, type: 'CNAME', ttl: 5, class: 'IN', data: 'web.shop.svc.cluster.local' },
    { name: 'web.shop.svc.cluster.local', type: 'A', ttl: 5, class: 'IN', data: '10.43.0.20' },
  ];
  const authorities: RR[] = [
    {
      name: 'cluster.local',
      type: 'SOA',
      ttl: 5,
      class: 'IN',
      data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 5 },
    },
  ];
  return encodeResponse(q, { rcode: RCODE.NOERROR, authoritative: true, answers, authorities });
}

test('a stored answer serves every spelling of the name: byte for byte what the full encoder gives that asker', () => {
  const cache = new AnswerCache();
  const first = query('alias.shop.svc.cluster.local', { id: 7 });
  assert.equal(cache.find(first), undefined);
  cache.store(first, answerFor(first), 'A', RCODE.NOERROR);
  for (const [id, name] of [
    [7, 'alias.shop.svc.cluster.local'],
    [65535, 'ALIAS.Shop.svc.cluster.LOCAL'],
    [0, 'aLiAs.shop.SVC.cluster.local'],
  ] as const) {
    const msg = query(name, { id });
    const hit = cache.find(msg);
    assert.ok(hit, `found for ${name}`);
    assert.equal(hit.typeName, 'A');
    assert.deepEqual(cache.reply(hit, msg), answerFor(msg), name);
    assert.equal(cache.udpLimit, 512);
  }
});

test('RD, EDNS and the DO bit are part of the key; the EDNS payload size is reported', () => {
  const cache = new AnswerCache();
  const plain = query('web.shop.svc.cluster.local');
  cache.store(plain, answerFor(plain), 'A', RCODE.NOERROR);
  assert.equal(cache.find(query('web.shop.svc.cluster.local', { rd: false })), undefined);
  assert.equal(cache.find(query('web.shop.svc.cluster.local', { edns: true })), undefined);
  const edns = query('web.shop.svc.cluster.local', { edns: true });
  cache.store(edns, answerFor(edns), 'A', RCODE.NOERROR);
  assert.ok(cache.find(edns));
  assert.equal(cache.udpLimit, 1232);
  assert.equal(cache.find(query('web.shop.svc.cluster.local', { edns: true, dnssecOk: true })), undefined);
  assert.ok(cache.find(plain));
  assert.equal(cache.size, 2);
});

test('the type is compared exactly, not case-folded like the name (HTTPS, 65, is not 97)', () => {
  const cache = new AnswerCache();
  const https = query('web.shop.svc.cluster.local', { type: 'HTTPS' });
  cache.store(https, answerFor(https), 'HTTPS', RCODE.NOERROR);
  assert.ok(cache.find(https));
  const other = Buffer.from(https);
  other.writeUInt16BE(97, other.length - 4);
  assert.equal(cache.find(other), undefined);
});

test('queries the full parser must judge are never stored nor found', () => {
  const cache = new AnswerCache();
  const base = query('web.shop.svc.cluster.local', { edns: true });
  const variants: [string, Buffer][] = [];
  const two = dnsPacket.encode({
    type: 'query',
    id: 1,
    questions: [
      { name: 'web.shop.svc.cluster.local', type: 'A' },
      { name: 'web.shop.svc.cluster.local', type: 'A' },
    ],
  });
  variants.push(['two questions', two]);
  const version1 = Buffer.from(base);
  version1[version1.length - 5] = 1; // the OPT TTL's version byte
  variants.push(['EDNS version 1', version1]);
  const response = Buffer.from(base);
  response[2]! |= 0x80;
  variants.push(['a response', response]);
  const notify = Buffer.from(base);
  notify[2]! |= 4 << 3;
  variants.push(['opcode NOTIFY', notify]);
  variants.push(['trailing bytes', Buffer.concat([query('web.shop.svc.cluster.local'), Buffer.from([0])])]);
  const dotted = query('webXshop.svc.cluster.local');
  dotted[12 + 4] = 0x2e;
  variants.push(['a dot inside a label', dotted]);
  const pointer = Buffer.from(query('web.shop.svc.cluster.local'));
  pointer[12] = 0xc0;
  pointer[13] = 12;
  variants.push(['a compression pointer', pointer]);
  variants.push(['cut short', base.subarray(0, base.length - 3)]);
  for (const [what, msg] of variants) {
    cache.store(msg, Buffer.alloc(40), 'A', RCODE.NOERROR);
    assert.equal(cache.size, 0, `${what}: stored`);
  }
  cache.store(base, answerFor(base), 'A', RCODE.NOERROR);
  for (const [what, msg] of variants) assert.equal(cache.find(msg), undefined, `${what}: found`);
});

test('bounded: the oldest entry goes first; clear() forgets everything', () => {
  const cache = new AnswerCache(3);
  const names = ['a', 'b', 'c', 'd'].map((n) => query(`${n}.shop.svc.cluster.local`));
  for (const m of names) cache.store(m, answerFor(m), 'A', RCODE.NOERROR);
  assert.equal(cache.size, 3);
  assert.equal(cache.find(names[0]!), undefined);
  for (const m of names.slice(1)) assert.ok(cache.find(m));
  cache.clear();
  assert.equal(cache.size, 0);
  for (const m of names) assert.equal(cache.find(m), undefined);
});

test('lend() writes each asker its answer into one buffer per entry until keep() leaves that buffer to its sender', () => {
  const cache = new AnswerCache();
  const first = query('alias.shop.svc.cluster.local', { id: 1 });
  cache.store(first, answerFor(first), 'A', RCODE.NOERROR);
  const a = query('ALIAS.shop.svc.cluster.local', { id: 2 });
  const b = query('alias.SHOP.svc.cluster.local', { id: 3 });
  const lentA = cache.lend(cache.find(a)!, a);
  assert.deepEqual(lentA, answerFor(a));
  const lentB = cache.lend(cache.find(b)!, b);
  assert.equal(lentB, lentA, 'the same buffer, rewritten');
  assert.deepEqual(lentB, answerFor(b));
  cache.keep(cache.find(b)!);
  const c = query('alias.shop.SVC.cluster.local', { id: 4 });
  const lentC = cache.lend(cache.find(c)!, c);
  assert.notEqual(lentC, lentB);
  assert.deepEqual(lentC, answerFor(c));
  assert.deepEqual(lentB, answerFor(b), 'a kept buffer is never written again');
  assert.deepEqual(cache.reply(cache.find(first)!, first), answerFor(first), 'the stored answer itself is untouched');
});
