// Crash loops: a real `skiff server` is killed with SIGKILL at random moments while clients
// create and update ConfigMaps, twenty times over, on SQLite and (when installed) on etcd,
// where etcd is killed with it. After every restart the server must start, and:
// - no acknowledged write is lost (each name holds its last acknowledged content, or a later
//   write that a client sent but never saw answered),
// - revisions never go backwards,
// - a revision is never reused for different content (every name → resourceVersion → content
//   ever acknowledged or read is kept and checked against what the server shows later).
// Every round is bounded in writes and time; the kill moment is random within the round.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { isAlreadyExists, isConflict } from '../../src/client/transport.js';
import { etcdBinary, startEtcd, type RunningEtcd } from '../helpers/etcd.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ROUNDS = 20;
const WRITERS = 4;
const NAMES_PER_WRITER = 5;
const MAX_WRITES_PER_ROUND = 400; // per writer
const NS = 'default';

interface Ledger {
  /** name → content of the newest acknowledged write, with its revision. */
  lastAcked: Map<string, { rv: number; content: string }>;
  /** name → every content ever sent (acknowledged or not). */
  sent: Map<string, Set<string>>;
  /** resourceVersion → "name=content", for everything acknowledged or read. */
  seen: Map<number, string>;
  /** Highest revision any answer or list has shown. */
  maxRevision: number;
}

function remember(l: Ledger, rv: number, name: string, content: string): void {
  const what = `${name}=${content}`;
  const before = l.seen.get(rv);
  assert.ok(before === undefined || before === what, `resourceVersion ${rv} was reused: first ${before}, now ${what}`);
  l.seen.set(rv, what);
  if (rv > l.maxRevision) l.maxRevision = rv;
}

/** One writer's round: creates, then updates with the last revision it knows, until the server dies or the bound is hit. */
async function writeUntilKilled(client: Client, l: Ledger, round: number, w: number, known: Map<string, number>, acks: { n: number }): Promise<void> {
  for (let i = 0; i < MAX_WRITES_PER_ROUND; i++) {
    const name = `w${w}-${i % NAMES_PER_WRITER}`;
    const content = `r${round}-w${w}-${i}`;
    let sent = l.sent.get(name);
    if (!sent) l.sent.set(name, (sent = new Set()));
    sent.add(content);
    try {
      const rv = known.get(name);
      const cm =
        rv === undefined
          ? await client.configMaps.create({ metadata: { name, namespace: NS }, data: { v: content } })
          : await client.configMaps.update({ metadata: { name, namespace: NS, resourceVersion: String(rv) }, data: { v: content } });
      const got = Number(cm.metadata!.resourceVersion);
      remember(l, got, name, content);
      l.lastAcked.set(name, { rv: got, content });
      known.set(name, got);
      acks.n++;
    } catch (err) {
      // A write sent before the last crash may have landed unacknowledged: read what is there.
      if (isAlreadyExists(err) || isConflict(err)) {
        try {
          const cur = await client.configMaps.get(name, NS);
          known.set(name, Number(cur.metadata!.resourceVersion));
          continue;
        } catch {
          return;
        }
      }
      return; // the server died under us
    }
  }
}

/** Checks the restarted server against the ledger; returns the revision each name now has. */
async function verify(s: TestServer, l: Ledger, round: number): Promise<Map<string, number>> {
  const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
  try {
    const list = await client.configMaps.list({ namespace: NS });
    const listRV = Number(list.metadata.resourceVersion);
    assert.ok(listRV >= l.maxRevision, `round ${round}: the revision went backwards: ${listRV} < ${l.maxRevision}`);
    const now = new Map<string, number>();
    for (const item of list.items) {
      const name = item.metadata!.name!;
      if (!l.sent.has(name)) continue; // kube-root-ca.crt and the like
      const rv = Number(item.metadata!.resourceVersion);
      const content = item.data?.v ?? '';
      assert.ok(l.sent.get(name)!.has(content), `round ${round}: ${name} holds content no client sent: ${content}`);
      remember(l, rv, name, content);
      now.set(name, rv);
    }
    for (const [name, acked] of l.lastAcked) {
      const rv = now.get(name);
      assert.ok(rv !== undefined, `round ${round}: acknowledged ${name}@${acked.rv} (${acked.content}) is gone after kill -9`);
      assert.ok(rv >= acked.rv, `round ${round}: ${name} is at ${rv}, older than its acknowledged ${acked.rv}`);
      if (rv === acked.rv) assert.equal(l.seen.get(rv), `${name}=${acked.content}`);
    }
    l.maxRevision = Math.max(l.maxRevision, listRV);
    return now;
  } finally {
    client.close();
  }
}

async function crashLoop(args: string[], onKill?: () => Promise<void>): Promise<{ acked: number; rounds: number }> {
  const l: Ledger = { lastAcked: new Map(), sent: new Map(), seen: new Map(), maxRevision: 0 };
  let s = await startServer({ args, timeoutMs: 60_000 });
  const dataDir = s.dataDir;
  let total = 0;
  let known = new Map<string, number>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
      const acks = { n: 0 };
      const writers = Array.from({ length: WRITERS }, (_, w) => writeUntilKilled(client, l, round, w, known, acks));
      // A random moment: after a random number of acknowledged writes (bounded wait), plus a random delay.
      const target = 1 + Math.floor(Math.random() * 40);
      const started = Date.now();
      while (acks.n < target && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      await s.stop(true);
      await onKill?.();
      await Promise.all(writers);
      client.close();
      total += acks.n;
      s = await startServer({ dataDir, args, timeoutMs: 60_000 });
      known = await verify(s, l, round);
    }
  } finally {
    await s.cleanup();
  }
  assert.ok(total >= ROUNDS, `only ${total} writes were acknowledged in ${ROUNDS} rounds`);
  return { acked: total, rounds: ROUNDS };
}

test(`SQLite: ${ROUNDS} kill -9s under writes lose no acknowledged write and reuse no revision`, async (t) => {
  const r = await crashLoop([]);
  t.diagnostic(`${r.acked} acknowledged writes over ${r.rounds} kills`);
});

test(`etcd: ${ROUNDS} kill -9s of the server and etcd under writes lose no acknowledged write and reuse no revision`, {
  skip: etcdBinary() ? undefined : 'needs the etcd binary (Debian etcd-server)',
}, async (t) => {
  let etcd: RunningEtcd | undefined;
  try {
    etcd = await startEtcd();
    const e = etcd;
    // etcd is killed with the server (SIGKILL) and comes back on the same data.
    const r = await crashLoop(['--datastore-endpoint', e.endpoint], () => e.restart(0));
    t.diagnostic(`${r.acked} acknowledged writes over ${r.rounds} kills`);
  } finally {
    await etcd?.stop();
  }
});
