// Image garbage collection on a runtime double (images, containers and a filesystem whose
// free space grows as images are removed): nothing happens below the high threshold; above
// it, unused images go least recently used first until the low threshold is reached;
// images in use, young, pinned or kept (the pause image) stay; a shortfall is reported as
// the kubelet reports it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ImageGarbageCollector, validatePolicy, type ImageGcRuntime } from '../../../src/kubelet/node/image-gc.js';
import type { Image } from '../../../src/kubelet/runtime/types.js';

const MB = 1_000_000;

class FakeRuntime implements ImageGcRuntime {
  images: Image[] = [];
  containers: { image: { image: string }; imageRef: string }[] = [];
  removed: string[] = [];
  failRemove = new Set<string>();
  capacity = 1000 * MB;
  /** Bytes used by other things than images. */
  other = 0;

  add(name: string, sizeMb: number, extra: Partial<Image> = {}): Image {
    const img: Image = { id: `sha256:${name.replace(/\W/g, '')}`, repoTags: [name], repoDigests: [], size: BigInt(sizeMb * MB), ...extra };
    this.images.push(img);
    return img;
  }
  get used(): number {
    return this.other + this.images.reduce((n, i) => n + Number(i.size), 0);
  }
  async listImages() {
    return this.images.map((i) => ({ ...i }));
  }
  async listContainers() {
    return this.containers;
  }
  async removeImage(id: string) {
    if (this.failRemove.has(id)) throw new Error(`image ${id} is busy`);
    this.removed.push(id);
    this.images = this.images.filter((i) => i.id !== id);
  }
  async imageFsInfo() {
    return [{ mountpoint: '/var/lib/images', usedBytes: BigInt(this.used) }];
  }
  statfs = (path: string) => {
    assert.equal(path, '/var/lib/images', 'the mountpoint CRI names is measured');
    return { capacityBytes: this.capacity, availableBytes: this.capacity - this.used };
  };
}

function setup() {
  const rt = new FakeRuntime();
  let now = 10_000_000;
  const events: string[] = [];
  const gc = new ImageGarbageCollector({
    runtime: rt,
    statfs: rt.statfs,
    now: () => now,
    keep: (i) => i.repoTags.includes('skiff.local/pause:3.10'),
    event: (type, reason, message) => events.push(`${type} ${reason}: ${message}`),
  });
  return { rt, gc, events, advance: (ms: number) => (now += ms) };
}

test('below the high threshold nothing is removed', async () => {
  const { rt, gc, advance } = setup();
  rt.add('a:1', 100);
  rt.other = 740 * MB; // 84 % used
  await gc.detectImages();
  advance(10 * 60_000);
  const r = await gc.garbageCollect();
  assert.equal(r.usagePercent, 84);
  assert.deepEqual(r, { usagePercent: 84, amountToFree: 0, freed: 0, removed: [] });
  assert.deepEqual(rt.removed, []);
});

test('above the high threshold: least recently used first, down to the low threshold', async () => {
  const { rt, gc, advance, events } = setup();
  rt.other = 500 * MB;
  rt.add('old:1', 100);
  rt.add('older:1', 100);
  rt.add('recent:1', 100);
  rt.add('busy:1', 100);
  rt.add('skiff.local/pause:3.10', 10);
  // older and old were used by containers long ago, recent lately; busy is used now.
  rt.containers = [{ image: { image: 'older:1' }, imageRef: 'sha256:older1' }];
  await gc.detectImages();
  advance(60_000);
  rt.containers = [{ image: { image: 'old:1' }, imageRef: 'sha256:old1' }];
  await gc.detectImages();
  advance(60_000);
  rt.containers = [{ image: { image: 'recent:1' }, imageRef: 'sha256:recent1' }];
  await gc.detectImages();
  advance(60_000);
  rt.containers = [{ image: { image: 'busy:1' }, imageRef: 'sha256:busy1' }];
  // 910 MB of 1000 used: 91 % ≥ 85 %; free to 80 % → 110 MB, so two images must go.
  const r = await gc.garbageCollect();
  assert.equal(r.usagePercent, 91);
  assert.equal(r.amountToFree, 110 * MB);
  assert.deepEqual(r.removed, ['older:1', 'old:1']);
  assert.equal(r.freed, 200 * MB);
  assert.deepEqual(events, []);
  // Now at 71 %: the next run leaves everything alone.
  assert.equal((await gc.garbageCollect()).amountToFree, 0);
});

test('images in use (also by exited containers), younger than 2 min, pinned or kept are never removed', async () => {
  const { rt, gc, advance, events } = setup();
  rt.other = 900 * MB;
  await gc.detectImages();
  rt.add('young:1', 50);
  rt.add('pinned:1', 50, { pinned: true });
  rt.add('skiff.local/pause:3.10', 10);
  rt.add('used-by-exited:1', 50);
  rt.add('old-enough:1', 20);
  rt.containers = [{ image: { image: 'used-by-exited:1' }, imageRef: 'sha256:usedbyexited1' }];
  await gc.detectImages(); // all first seen now
  advance(60_000);
  const early = await gc.garbageCollect();
  assert.deepEqual(early.removed, [], 'nothing is 2 min old yet');
  assert.match(
    events[0]!,
    /^Warning FreeDiskSpaceFailed: Failed to garbage collect required amount of images\. Attempted to free \d+ bytes, but only found 0 bytes eligible to free\.$/,
  );
  advance(61_000);
  rt.add('young:2', 50);
  await gc.detectImages();
  const r = await gc.garbageCollect();
  assert.deepEqual(r.removed.sort(), ['old-enough:1', 'young:1']);
  assert.ok(r.freed < r.amountToFree);
  assert.ok(
    rt.images.some((i) => i.repoTags[0] === 'young:2'),
    'an image first seen 0 s ago stays',
  );
});

test('images present when the collector starts count as old; a failed removal does not stop the others', async () => {
  const { rt, gc, advance } = setup();
  rt.other = 850 * MB;
  rt.add('a:1', 50);
  rt.add('b:1', 50);
  rt.failRemove.add('sha256:a1');
  await gc.detectImages(0);
  advance(1000);
  const r = await gc.garbageCollect();
  assert.deepEqual(r.removed, ['b:1']);
  assert.deepEqual(rt.removed, ['sha256:b1']);
});

test('bad capacity and bad policies are errors that say what is wrong', async () => {
  const { rt, gc, events } = setup();
  rt.capacity = 0;
  await assert.rejects(gc.garbageCollect(), /invalid capacity 0 on image filesystem \/var\/lib\/images/);
  assert.match(events[0]!, /InvalidDiskCapacity/);
  assert.throws(() => validatePolicy({ highThresholdPercent: 80, lowThresholdPercent: 85, minAgeMs: 0 }), /low threshold 85 is above the high threshold 80/);
  assert.throws(() => validatePolicy({ highThresholdPercent: 101, lowThresholdPercent: 80, minAgeMs: 0 }), /not a percentage/);
  const none = new ImageGarbageCollector({
    runtime: { ...rt, imageFsInfo: async () => [], listImages: async () => [], listContainers: async () => [], removeImage: async () => {} },
    statfs: rt.statfs,
  });
  await assert.rejects(none.garbageCollect(), /reports no image filesystem/);
});

test('start() collects at once (images there at start count as old) and then every period', async () => {
  const { rt, gc } = setup();
  rt.other = 880 * MB;
  rt.add('left-over:1', 50);
  gc.start(30);
  try {
    for (let i = 0; i < 100 && !rt.removed.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(rt.removed, ['sha256:leftover1']);
    rt.add('next:1', 100);
    // First seen by a periodic look now, and younger than 2 min on the fake clock: kept.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(rt.removed, ['sha256:leftover1']);
  } finally {
    gc.stop();
  }
});
