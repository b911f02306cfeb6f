// Encryption at rest, one module at a time: the configuration's checks and messages, the
// sealers' formats, and the encrypting store over a real (in-memory) backend.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EncryptionConfigError, generatedConfig, parseEncryptionConfig, serializeEncryptionConfig } from '../../src/storage/encryption/config.js';
import { EncryptingStore } from '../../src/storage/encryption/encrypting-store.js';
import { sealerFor, sealersOf } from '../../src/storage/encryption/providers.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { StoreError, type StoreEvent } from '../../src/storage/store.js';

const key = (n: number) => randomBytes(n).toString('base64');

function config(providers: unknown[], resources: unknown[] = ['secrets']): string {
  return JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] });
}

function problems(text: string): string[] {
  try {
    parseEncryptionConfig(text, '/etc/enc.yaml');
  } catch (err) {
    assert.ok(err instanceof EncryptionConfigError, String(err));
    assert.match(err.message, /^error while parsing encryption provider configuration file "\/etc\/enc.yaml": /);
    return err.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('EncryptionConfiguration', () => {
  test('reads YAML with every provider kind, keys in order', () => {
    const yaml = [
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: EncryptionConfiguration',
      'resources:',
      '  - resources: [secrets, configmaps]',
      '    providers:',
      `      - aesgcm: {keys: [{name: g1, secret: ${key(16)}}, {name: g2, secret: ${key(32)}}]}`,
      `      - aescbc: {keys: [{name: c1, secret: ${key(24)}}]}`,
      `      - secretbox: {keys: [{name: b1, secret: ${key(32)}}]}`,
      '      - identity: {}',
    ].join('\n');
    const c = parseEncryptionConfig(yaml, 'f');
    assert.deepEqual(c.rules[0]!.resources, ['secrets', 'configmaps']);
    assert.deepEqual(
      sealersOf(c.rules[0]!.providers).map((s) => s.id),
      ['aesgcm:g1', 'aesgcm:g2', 'aescbc:c1', 'secretbox:b1', 'identity'],
    );
  });

  test('names each bad field as Kubernetes does', () => {
    assert.deepEqual(problems(config([{ aescbc: { keys: [{ name: 'k', secret: key(8) }] } }])), [
      'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]',
    ]);
    assert.deepEqual(problems(config([{ secretbox: { keys: [{ name: 'k', secret: key(16) }] } }])), [
      'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]',
    ]);
    assert.deepEqual(problems(config([{ aesgcm: { keys: [{ name: 'k', secret: 'not base64!' }] } }])), [
      'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded',
    ]);
    assert.deepEqual(problems(config([{ aescbc: { keys: [] } }])), ['resources[0].providers[0].aescbc.keys: Required value: at least one keys is required']);
    assert.deepEqual(problems(config([{ aescbc: { keys: [{ secret: key(32) }] } }])), [
      'resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key',
    ]);
    assert.match(
      problems(config([{ aescbc: { keys: [{ name: 'k', secret: key(32) }] }, identity: {} }]))[0]!,
      /more than one provider specified in a single element/,
    );
    assert.match(problems(config([{}]))[0]!, /^resources\[0\]\.providers\[0\]: Invalid value: provider does not contain any of the expected providers/);
    assert.deepEqual(problems(config([{ identity: {} }], [])), ['resources[0].resources: Required value: at least one resources[0].resources is required']);
    assert.match(problems('{"apiVersion":"apiserver.config.k8s.io/v1","kind":"EncryptionConfiguration"}')[0]!, /^resources: Required value/);
    assert.match(problems('kind: Pod\napiVersion: v1\nresources: []')[0]!, /^kind: Invalid value: "Pod"/);
    assert.match(problems(': : :\n  - [')[0]!, /not YAML or JSON/);
  });

  test('a generated configuration round-trips and encrypts Secrets with identity as fallback', () => {
    const c = parseEncryptionConfig(serializeEncryptionConfig(generatedConfig()), 'f');
    assert.deepEqual(c.rules[0]!.resources, ['secrets']);
    assert.deepEqual(
      c.rules[0]!.providers.map((p) => p.kind),
      ['aescbc', 'identity'],
    );
    assert.equal(c.rules[0]!.providers[0]!.keys[0]!.secret.length, 32);
  });
});

describe('sealers', () => {
  const all = sealersOf([
    { kind: 'aescbc', keys: [{ name: 'c', secret: randomBytes(32) }] },
    { kind: 'aesgcm', keys: [{ name: 'g', secret: randomBytes(32) }] },
    { kind: 'secretbox', keys: [{ name: 'b', secret: randomBytes(32) }] },
    { kind: 'identity', keys: [] },
  ]);
  const plain = JSON.stringify({ kind: 'Secret', data: { password: 'aHVudGVyMg==' }, note: 'ünïcode ✓' });

  for (const s of all.filter((x) => x.kind !== 'identity')) {
    test(`${s.id}: Kubernetes' prefix, fresh nonce each time, opens to the same text`, () => {
      const a = s.seal(plain, '/registry/secrets/ns/a');
      const b = s.seal(plain, '/registry/secrets/ns/a');
      assert.ok(a.startsWith(`k8s:enc:${s.kind}:v1:${s.id.split(':')[1]}:`), a.slice(0, 40));
      assert.notEqual(a, b, 'two seals of one value must differ');
      assert.ok(!a.includes('aHVudGVyMg'), 'the value shows through');
      assert.equal(sealerFor(all, a), s);
      assert.equal(s.open(a, '/registry/secrets/ns/a'), plain);
    });
  }

  test('aesgcm binds a value to its key: moved to another key it does not open', () => {
    const g = all.find((s) => s.kind === 'aesgcm')!;
    const sealed = g.seal(plain, '/registry/secrets/ns/a');
    assert.throws(() => g.open(sealed, '/registry/secrets/ns/b'));
  });

  test('a tampered secretbox value does not open', () => {
    const b = all.find((s) => s.kind === 'secretbox')!;
    const sealed = b.seal(plain, 'k');
    const raw = Buffer.from(sealed.slice(b.prefix.length), 'base64');
    raw[raw.length - 1]! ^= 1;
    assert.throws(() => b.open(b.prefix + raw.toString('base64'), 'k'));
  });

  test('identity reads plain values but never passes a sealed one off as plain', () => {
    const id = sealersOf([{ kind: 'identity', keys: [] }]);
    assert.equal(sealerFor(id, plain)!.open(plain, 'k'), plain);
    const sealed = all[0]!.seal(plain, 'k');
    assert.throws(() => sealerFor(id, sealed)!.open(sealed, 'k'), /sealed with aescbc:v1:c/);
  });
});

describe('EncryptingStore', () => {
  const sealers = sealersOf([
    { kind: 'aesgcm', keys: [{ name: 'k1', secret: randomBytes(32) }] },
    { kind: 'identity', keys: [] },
  ]);
  const route = (k: string) => (k.startsWith('/registry/secrets/') ? sealers : undefined);
  const secret = '{"kind":"Secret","data":{"token":"c2VjcmV0"}}';

  test('seals only routed keys; reads, lists, deletes and conflicts come back open', async () => {
    const inner = new MemoryStore();
    const store = new EncryptingStore(inner, route);
    const rev = await store.create('/registry/secrets/a/s', secret);
    await store.create('/registry/configmaps/a/c', '{"kind":"ConfigMap"}');
    assert.ok((await inner.get('/registry/secrets/a/s'))!.value.startsWith('k8s:enc:aesgcm:v1:k1:'));
    assert.equal((await inner.get('/registry/configmaps/a/c'))!.value, '{"kind":"ConfigMap"}');
    assert.equal((await store.get('/registry/secrets/a/s'))!.value, secret);
    assert.deepEqual(
      (await store.list('/registry/secrets/')).items.map((kv) => kv.value),
      [secret],
    );
    await assert.rejects(store.update('/registry/secrets/a/s', secret, rev - 1), (err: unknown) => {
      assert.ok(err instanceof StoreError && err.code === 'Conflict');
      assert.equal(err.current!.value, secret);
      return true;
    });
    const del = await store.delete('/registry/secrets/a/s');
    assert.equal(del.prev.value, secret);
  });

  test('watch events carry open values, old and new', async () => {
    const store = new EncryptingStore(new MemoryStore(), route);
    const events: StoreEvent[] = [];
    const w = store.watch('/registry/', 0, (ev) => events.push(ev));
    const r1 = await store.create('/registry/secrets/a/s', secret);
    await store.update('/registry/secrets/a/s', secret.replace('c2VjcmV0', 'bmV3'), r1);
    await new Promise((r) => setTimeout(r, 20));
    w.stop();
    assert.equal(events.length, 2);
    assert.equal(events[0]!.kv.value, secret);
    assert.match(events[1]!.kv.value, /bmV3/);
    assert.equal(events[1]!.prevKv!.value, secret);
  });

  test('values stored before encryption stay readable through identity and are sealed on rewrite', async () => {
    const inner = new MemoryStore();
    await inner.create('/registry/secrets/a/old', secret);
    const store = new EncryptingStore(inner, route);
    const kv = (await store.get('/registry/secrets/a/old'))!;
    assert.equal(kv.value, secret);
    assert.equal(store.sealedWith((await inner.get(kv.key))!)!.id, 'identity');
    assert.equal(store.isCurrent((await inner.get(kv.key))!), false);
    await store.update(kv.key, kv.value, kv.modRevision);
    assert.equal(store.isCurrent((await inner.get(kv.key))!), true);
  });

  test('a value under a key the configuration lost is an error naming the key, not garbage', async () => {
    const inner = new MemoryStore();
    await new EncryptingStore(inner, route).create('/registry/secrets/a/s', secret);
    const other = sealersOf([{ kind: 'aescbc', keys: [{ name: 'k2', secret: randomBytes(32) }] }]);
    const store = new EncryptingStore(inner, (k) => (k.startsWith('/registry/secrets/') ? other : undefined));
    await assert.rejects(store.get('/registry/secrets/a/s'), /cannot read \/registry\/secrets\/a\/s: no configured encryption provider/);
  });
});
