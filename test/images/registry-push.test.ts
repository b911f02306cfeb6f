// The registry pusher against a real registry (Debian's docker-registry on loopback):
// the manifest it stores is the one Skiff built, every blob is fetchable by digest, a
// second push uploads nothing, and a registry with htpasswd auth refuses pushes without
// the right credentials with an error that says so.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { busyboxAvailable, busyboxImage } from '../../src/images/busybox.js';
import { buildImageBlobs, OCI_MANIFEST } from '../../src/images/oci.js';
import { parseImageReference, pushImage } from '../../src/images/registry-push.js';
import { registryMissing, startRegistry } from '../helpers/registry.js';

test('parseImageReference splits host, repository and tag and rejects bad ones', () => {
  assert.deepEqual(parseImageReference('127.0.0.1:5000/skiff/busybox:1.35'), { registry: '127.0.0.1:5000', repository: 'skiff/busybox', tag: '1.35' });
  assert.deepEqual(parseImageReference('localhost:5000/app'), { registry: 'localhost:5000', repository: 'app', tag: 'latest' });
  assert.throws(() => parseImageReference('busybox'), /names no registry/);
  assert.throws(() => parseImageReference('r:1/App:1'), /not a valid repository/);
  assert.throws(() => parseImageReference('r:1/app@sha256:00'), /by digest/);
});

test('pushImage stores the image in docker-registry, blob by blob', { timeout: 60_000 }, async (t) => {
  const why = registryMissing() ?? (busyboxAvailable() ? undefined : 'busybox-static is not installed');
  if (why) return t.skip(why);
  const reg = await startRegistry();
  try {
    const spec = busyboxImage();
    const blobs = buildImageBlobs(spec);
    const first = await pushImage(spec, { registry: reg.host, repository: 'skiff/busybox', tag: '1.35', plainHttp: true });
    assert.equal(first.digest, blobs.manifest.digest);
    assert.equal(first.uploaded, blobs.layers.length + 1);
    const again = await pushImage(spec, { registry: reg.host, repository: 'skiff/busybox', tag: '1.35', plainHttp: true });
    assert.equal(again.uploaded, 0, 'blobs already present are not uploaded again');

    const m = await fetch(`http://${reg.host}/v2/skiff/busybox/manifests/1.35`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('docker-content-digest'), blobs.manifest.digest);
    const manifest = JSON.parse(await m.text()) as { layers: { digest: string }[]; config: { digest: string } };
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const b = Buffer.from(await (await fetch(`http://${reg.host}/v2/skiff/busybox/blobs/${d}`)).arrayBuffer());
      assert.equal(`sha256:${createHash('sha256').update(b).digest('hex')}`, d);
    }
  } finally {
    await reg.stop();
  }
});

test('pushImage to an htpasswd registry needs the right credentials', { timeout: 60_000 }, async (t) => {
  const why = registryMissing({ auth: true }) ?? (busyboxAvailable() ? undefined : 'busybox-static is not installed');
  if (why) return t.skip(why);
  const reg = await startRegistry({ user: 'skiff', password: 's3cret' });
  try {
    const spec = busyboxImage();
    const target = { registry: reg.host, repository: 'skiff/busybox', tag: '1.35', plainHttp: true };
    await assert.rejects(pushImage(spec, target), /401 Unauthorized \(no credentials given\)/);
    await assert.rejects(pushImage(spec, { ...target, username: 'skiff', password: 'wrong' }), /credentials were refused/);
    const ok = await pushImage(spec, { ...target, username: 'skiff', password: 's3cret' });
    assert.equal(ok.digest, buildImageBlobs(spec).manifest.digest);
    const anon = await fetch(`http://${reg.host}/v2/skiff/busybox/manifests/1.35`);
    assert.equal(anon.status, 401, 'the registry refuses anonymous pulls');
  } finally {
    await reg.stop();
  }
});
