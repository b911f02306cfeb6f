// The image builder writes archives whose digests, manifests and layers agree.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { busyboxAvailable, busyboxImage, httpdImage, pauseImage } from '../../src/images/busybox.js';
import { buildImageArchive } from '../../src/images/oci.js';
import { tar, untar } from '../../src/images/tar.js';

test('tar round-trips files, directories, symlinks and long names', () => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  const entries = untar(
    tar([
      { type: 'dir', name: 'a' },
      { type: 'file', name: 'a/x.txt', data: Buffer.from('hello'), mode: 0o600 },
      { type: 'symlink', name: 'a/link', target: 'x.txt' },
      { type: 'file', name: long, data: Buffer.alloc(1000, 7) },
    ]),
  );
  assert.deepEqual(
    entries.map((e) => [e.type, e.name]),
    [
      ['dir', 'a'],
      ['file', 'a/x.txt'],
      ['symlink', 'a/link'],
      ['file', long],
    ],
  );
  const x = entries[1] as { data: Buffer; mode: number };
  assert.equal(x.data.toString(), 'hello');
  assert.equal(x.mode, 0o600);
  assert.equal((entries[2] as { target: string }).target, 'x.txt');
  assert.equal((entries[3] as { data: Buffer }).data.length, 1000);
});

test('an image archive is a consistent OCI layout with a docker manifest', (t) => {
  if (!busyboxAvailable()) return t.skip('busybox-static is not installed (apt-get install busybox-static)');
  for (const spec of [busyboxImage(), httpdImage(), pauseImage()]) {
    const { archive, manifestDigest } = buildImageArchive(spec);
    const files = new Map(
      untar(archive)
        .filter((e) => e.type === 'file')
        .map((e) => [e.name, (e as { data: Buffer }).data]),
    );
    const blob = (digest: string) => {
      const data = files.get(`blobs/sha256/${digest.slice(7)}`);
      assert.ok(data, `blob ${digest} is in the archive`);
      assert.equal(`sha256:${createHash('sha256').update(data).digest('hex')}`, digest, 'blob content matches its digest');
      return data;
    };
    const index = JSON.parse(files.get('index.json')!.toString());
    assert.equal(index.manifests[0].digest, manifestDigest);
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], spec.name);
    const manifest = JSON.parse(blob(manifestDigest).toString());
    const config = JSON.parse(blob(manifest.config.digest).toString());
    assert.equal(config.os, 'linux');
    assert.deepEqual(
      config.rootfs.diff_ids,
      manifest.layers.map((l: { digest: string }) => l.digest),
    );
    const layer = untar(blob(manifest.layers[0].digest));
    assert.ok(layer.some((e) => e.name === 'bin/busybox' && e.type === 'file'));
    assert.ok(layer.some((e) => e.name === 'bin/sh' && e.type === 'symlink'));
    const docker = JSON.parse(files.get('manifest.json')!.toString());
    assert.deepEqual(docker[0].RepoTags, [spec.name]);
  }
});
