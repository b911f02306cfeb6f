// Secrets encrypted at rest, seen from outside as an operator would check it: the value is
// nowhere in SQLite's files nor in etcd (read with etcdctl), kubectl reads it back intact,
// a Secret stored before encryption stays readable and is sealed when rewritten, a key
// rotation keeps everything readable, and a bad configuration stops the server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubectlOk, SKIFF_BIN, startServer, type TestServer } from '../helpers/server.js';
import { etcdBinary, startEtcd, type RunningEtcd } from '../helpers/etcd.js';

const run = promisify(execFile);
const VALUE = 'correct-horse-battery-staple-4711';
// Values that share no text with VALUE, so one found in the files is never mistaken for another.
const EARLY = 'stored-before-encryption-9213';
const IN_CONFIGMAP = 'plain-configmap-value-5518';

/** Whether the value shows anywhere in the SQLite database, its WAL or shared memory, as text or base64. */
function inDatabaseFiles(dataDir: string, value: string): boolean {
  const dir = join(dataDir, 'db');
  const needles = [Buffer.from(value), Buffer.from(Buffer.from(value).toString('base64').replace(/=+$/, ''))];
  return readdirSync(dir).some((f) => {
    const bytes = readFileSync(join(dir, f));
    return needles.some((n) => bytes.includes(n));
  });
}

async function skiff(args: string[]): Promise<string> {
  const r = await run(process.execPath, [SKIFF_BIN, ...args], { timeout: 30_000 });
  return r.stdout;
}

describe('Secrets encrypted at rest (SQLite)', () => {
  let s: TestServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-enc-'));
  const kubectl = kubectlOk(() => s);
  after(async () => {
    await s?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a Secret stored before encryption was turned on stays readable and is sealed on rewrite', async () => {
    s = await startServer({ dataDir });
    await kubectl(['create', 'secret', 'generic', 'early', `--from-literal=password=${EARLY}`]);
    await s.stop();
    s = await startServer({ dataDir, args: ['--secrets-encryption'] });
    const got = await kubectl(['get', 'secret', 'early', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(got, 'base64').toString(), `${EARLY}`);
    // Secrets the server made before (its join token's) are stored in the clear too.
    const inClear = (status: string) => Number(/^ {2}identity: (\d+)$/m.exec(status)?.[1] ?? 0);
    const before = inClear(await skiff(['secrets-encrypt', 'status', '--data-dir', dataDir]));
    assert.ok(before >= 1, 'the early Secret is stored in the clear');
    // Rewriting it unchanged, as Kubernetes' documentation says to, seals it.
    await kubectl(['replace', '-f', '-'], await kubectl(['get', 'secret', 'early', '-o', 'json']));
    const status = await skiff(['secrets-encrypt', 'status', '--data-dir', dataDir]);
    assert.equal(inClear(status), before - 1);
    assert.match(status, /^ {2}aescbc:aescbckey-[\w-]+: 1$/m);
  });

  test('a new Secret is not in the database files and reads back intact', async () => {
    await kubectl(['create', 'secret', 'generic', 'db-pass', `--from-literal=password=${VALUE}`]);
    // A moment for the write to settle; the probe reads the WAL as well as the database file.
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(inDatabaseFiles(dataDir, VALUE), false, 'the Secret value is stored in the clear');
    const got = await kubectl(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(got, 'base64').toString(), VALUE);
    // Other resources are not sealed: the check above could find a value if it were there.
    await kubectl(['create', 'configmap', 'plain', `--from-literal=v=${IN_CONFIGMAP}`]);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(inDatabaseFiles(dataDir, `${IN_CONFIGMAP}`), true, 'the probe cannot see a plain value');
  });

  test('rotate-keys: a new key seals everything, the old key is gone, every Secret reads back', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'cred', 'encryption-config.json'), 'utf8'));
    const oldKey = before.resources[0].providers[0].aescbc.keys[0].name;
    const out = await skiff(['secrets-encrypt', 'rotate-keys', '--data-dir', dataDir]);
    assert.match(out, /keys rotated: new writes are sealed with aescbc:aescbckey-/);
    const cfg = JSON.parse(readFileSync(join(dataDir, 'cred', 'encryption-config.json'), 'utf8'));
    const keys = cfg.resources[0].providers[0].aescbc.keys.map((k: { name: string }) => k.name);
    assert.equal(keys.length, 1);
    assert.notEqual(keys[0], oldKey);
    const status = await skiff(['secrets-encrypt', 'status', '--data-dir', dataDir]);
    assert.match(status, new RegExp(`^ {2}aescbc:${keys[0]}: \\d+$`, 'm'));
    assert.doesNotMatch(status, new RegExp(oldKey));
    const got = await kubectl(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(got, 'base64').toString(), VALUE);
    // And after a restart, from the rotated file alone.
    await s.stop();
    s = await startServer({ dataDir, args: ['--secrets-encryption'] });
    const again = await kubectl(['get', 'secret', 'early', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(again, 'base64').toString(), `${EARLY}`);
  });

  test('secrets-encrypt is for administrators, and says when encryption is off', async () => {
    const plain = await startServer();
    try {
      await assert.rejects(skiff(['secrets-encrypt', 'status', '--data-dir', plain.dataDir]), /secrets encryption is not enabled on this server/);
    } finally {
      await plain.cleanup();
    }
  });
});

describe('a malformed EncryptionConfiguration', () => {
  test('the server refuses to start and names the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-enc-bad-'));
    try {
      const file = join(dir, 'enc.yaml');
      writeFileSync(
        file,
        'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k1, secret: c2hvcnQ=}]}\n',
      );
      const r = spawnSync(
        process.execPath,
        [SKIFF_BIN, 'server', '--disable-agent', '--data-dir', dir, '--https-port', '0', '--bind-address', '127.0.0.1', '--encryption-provider-config', file],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        /resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret: Invalid value: "REDACTED": secret is not of the expected length, got 5, expected one of \[16 24 32\]/,
      );
      assert.equal(existsSync(join(dir, 'kubeconfig.yaml')), false, 'the server got as far as writing its kubeconfig');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Secrets encrypted at rest (etcd)', () => {
  const etcd = etcdBinary();
  const etcdctl = spawnSync('etcdctl', ['version'], { encoding: 'utf8' }).status === 0;
  const why = !etcd ? 'etcd is not installed' : !etcdctl ? 'etcdctl is not installed (Debian package etcd-client)' : undefined;
  let e: RunningEtcd;
  let s: TestServer;
  const kubectl = kubectlOk(() => s);
  before(async () => {
    if (why) return;
    e = await startEtcd();
    s = await startServer({ args: ['--datastore-endpoint', e.endpoint, '--encryption-provider-config', writeGcmConfig()] });
  });
  after(async () => {
    await s?.cleanup();
    await e?.stop();
  });

  function writeGcmConfig(): string {
    const file = join(mkdtempSync(join(tmpdir(), 'skiff-enc-gcm-')), 'enc.yaml');
    const secret = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: gcm1, secret: ${secret}}]}\n  - identity: {}\n`,
    );
    return file;
  }

  test('etcdctl sees only the sealed value; kubectl reads it back', { skip: why }, async () => {
    await kubectl(['create', 'secret', 'generic', 'in-etcd', `--from-literal=password=${VALUE}`]);
    const raw = spawnSync('etcdctl', ['--endpoints', e.endpoint, 'get', '/registry/secrets/default/in-etcd', '--print-value-only'], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    assert.equal(raw.status, 0, raw.stderr);
    assert.match(raw.stdout, /^k8s:enc:aesgcm:v1:gcm1:/);
    assert.ok(!raw.stdout.includes(VALUE) && !raw.stdout.includes(Buffer.from(VALUE).toString('base64').slice(0, 20)), 'the value is in etcd in the clear');
    const got = await kubectl(['get', 'secret', 'in-etcd', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(got, 'base64').toString(), VALUE);
  });
});
