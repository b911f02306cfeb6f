// Image garbage collection as the kubelet's image manager does it: every 5 minutes it
// notes which images exist and which are used by a container (an image's last use is the
// last look that found it in use), and when the image filesystem is at or above the high
// threshold (85 %) it removes unused images, least recently used first, until usage is
// back at the low threshold (80 %). Images younger than the minimum age (2 min), images
// in use, pinned images and the pause image are never removed.
import type { Image } from '../runtime/types.js';

export interface ImageGcRuntime {
  listImages(): Promise<Image[]>;
  /** Every container the runtime holds, running or not: an exited container still needs its image. */
  listContainers(): Promise<{ image: { image: string }; imageRef: string }[]>;
  removeImage(image: string): Promise<void>;
  /** CRI ImageFsInfo: where images live (the filesystem whose fullness counts). */
  imageFsInfo(): Promise<{ mountpoint: string; usedBytes: bigint }[]>;
}

export interface FsStats {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGcPolicy {
  highThresholdPercent: number;
  lowThresholdPercent: number;
  minAgeMs: number;
}

/** The kubelet's defaults: imageGCHighThresholdPercent, imageGCLowThresholdPercent, imageMinimumGCAge. */
export const DEFAULT_IMAGE_GC_POLICY: ImageGcPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 2 * 60_000 };
/** The kubelet's ImageGCPeriod. */
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface ImageGcOptions {
  runtime: ImageGcRuntime;
  /** Capacity and free space of the filesystem at a path (statfs). */
  statfs(path: string): FsStats;
  policy?: ImageGcPolicy;
  /** Images never to remove besides pinned ones: at least the pause image. */
  keep?(image: Image): boolean;
  now?: () => number;
  /** Node events, as the kubelet records them (FreeDiskSpaceFailed, ImageGCFailed). */
  event?(type: 'Normal' | 'Warning', reason: string, message: string): void;
  log?: { info(msg: string, f?: object): void; warn(msg: string, f?: object): void };
}

interface ImageRecord {
  firstDetected: number;
  lastUsed: number;
  size: number;
}

export interface GcResult {
  usagePercent: number;
  /** Bytes the collection set out to free; 0 when usage was below the high threshold. */
  amountToFree: number;
  freed: number;
  removed: string[];
}

export function validatePolicy(p: ImageGcPolicy): void {
  const pct = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  if (!pct(p.highThresholdPercent)) throw new Error(`image GC: high threshold ${p.highThresholdPercent} is not a percentage 0–100`);
  if (!pct(p.lowThresholdPercent)) throw new Error(`image GC: low threshold ${p.lowThresholdPercent} is not a percentage 0–100`);
  if (p.lowThresholdPercent > p.highThresholdPercent)
    throw new Error(`image GC: low threshold ${p.lowThresholdPercent} is above the high threshold ${p.highThresholdPercent}`);
  if (!(p.minAgeMs >= 0)) throw new Error(`image GC: minimum age ${p.minAgeMs} ms is negative`);
}

export class ImageGarbageCollector {
  private readonly records = new Map<string, ImageRecord>();
  private readonly policy: ImageGcPolicy;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(private readonly o: ImageGcOptions) {
    this.policy = o.policy ?? DEFAULT_IMAGE_GC_POLICY;
    validatePolicy(this.policy);
    this.now = o.now ?? Date.now;
  }

  /**
   * Notes the images present and those in use now; returns the ids in use and the images.
   * Images seen for the first time are recorded as first detected at `detectTime`.
   */
  async detectImages(detectTime = this.now()): Promise<{ inUse: Set<string>; images: Image[] }> {
    const at = this.now();
    const [images, containers] = await Promise.all([this.o.runtime.listImages(), this.o.runtime.listContainers()]);
    const inUse = new Set<string>();
    for (const c of containers) {
      // containerd reports the image id as imageRef; a name is resolved through the tags.
      const byRef = images.find((i) => i.id === c.imageRef || i.repoDigests.includes(c.imageRef));
      const byName = images.find((i) => i.id === c.image.image || i.repoTags.includes(c.image.image));
      for (const i of [byRef, byName]) if (i) inUse.add(i.id);
    }
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.id);
      let r = this.records.get(img.id);
      if (!r) {
        r = { firstDetected: detectTime, lastUsed: 0, size: Number(img.size) };
        this.records.set(img.id, r);
      }
      r.size = Number(img.size);
      if (inUse.has(img.id)) r.lastUsed = at;
    }
    for (const id of this.records.keys()) if (!present.has(id)) this.records.delete(id);
    return { inUse, images };
  }

  /** The image filesystem's usage; throws when the runtime names none or it cannot be measured. */
  async imageFsStats(): Promise<FsStats & { mountpoint: string }> {
    const fs = (await this.o.runtime.imageFsInfo())[0];
    if (!fs?.mountpoint) throw new Error('image GC: the runtime reports no image filesystem');
    return { mountpoint: fs.mountpoint, ...this.o.statfs(fs.mountpoint) };
  }

  /** One collection: frees space down to the low threshold if usage is at or above the high one. */
  async garbageCollect(): Promise<GcResult> {
    const freeTime = this.now();
    const { inUse, images } = await this.detectImages();
    const fs = await this.imageFsStats();
    const capacity = fs.capacityBytes;
    if (!(capacity > 0)) {
      const msg = `invalid capacity ${capacity} on image filesystem ${fs.mountpoint}`;
      this.o.event?.('Warning', 'InvalidDiskCapacity', msg);
      throw new Error(msg);
    }
    const available = Math.min(fs.availableBytes, capacity);
    const usagePercent = 100 - Math.floor((available * 100) / capacity);
    if (usagePercent < this.policy.highThresholdPercent) return { usagePercent, amountToFree: 0, freed: 0, removed: [] };
    const amountToFree = Math.floor((capacity * (100 - this.policy.lowThresholdPercent)) / 100) - available;
    this.o.log?.info('disk usage on the image filesystem is over the high threshold; freeing down to the low threshold', {
      usage: usagePercent,
      highThreshold: this.policy.highThresholdPercent,
      lowThreshold: this.policy.lowThresholdPercent,
      amountToFree,
    });
    const { freed, removed } = await this.freeSpace(amountToFree, freeTime, inUse, images);
    if (freed < amountToFree) {
      const msg = `Failed to garbage collect required amount of images. Attempted to free ${amountToFree} bytes, but only found ${freed} bytes eligible to free.`;
      this.o.event?.('Warning', 'FreeDiskSpaceFailed', msg);
      this.o.log?.warn('image GC could not free enough', { amountToFree, freed, removed });
    }
    return { usagePercent, amountToFree, freed, removed };
  }

  private async freeSpace(bytesToFree: number, freeTime: number, inUse: Set<string>, images: Image[]): Promise<{ freed: number; removed: string[] }> {
    const candidates = images
      .filter((img) => !inUse.has(img.id) && !img.pinned && !(this.o.keep?.(img) ?? false))
      .map((img) => ({ img, rec: this.records.get(img.id)! }))
      .filter(({ rec }) => rec && freeTime - rec.firstDetected >= this.policy.minAgeMs)
      // Least recently used first; of equals, the one seen first.
      .sort((a, b) => a.rec.lastUsed - b.rec.lastUsed || a.rec.firstDetected - b.rec.firstDetected);
    let freed = 0;
    const removed: string[] = [];
    for (const { img, rec } of candidates) {
      if (freed >= bytesToFree) break;
      try {
        await this.o.runtime.removeImage(img.id);
      } catch (err) {
        // One image that will not go does not stop the others from being tried.
        this.o.log?.warn('image not removed', { image: img.repoTags[0] ?? img.id, error: (err as Error).message });
        continue;
      }
      this.records.delete(img.id);
      removed.push(img.repoTags[0] ?? img.id);
      freed += rec.size;
      this.o.log?.info('image removed to free disk space', { image: img.repoTags[0] ?? img.id, id: img.id, size: rec.size });
    }
    return { freed, removed };
  }

  /** Detects and collects at once, then collects every `periodMs` (5 min, as the kubelet). */
  start(periodMs = IMAGE_GC_PERIOD_MS): void {
    this.stopped = false;
    const tick = async () => {
      if (this.running || this.stopped) return;
      this.running = true;
      try {
        await this.garbageCollect();
      } catch (err) {
        this.o.event?.('Warning', 'ImageGCFailed', (err as Error).message);
        this.o.log?.warn('image garbage collection failed', { error: (err as Error).message });
      } finally {
        this.running = false;
      }
    };
    // As the kubelet: images already there when it starts have an unknown age, counted as old.
    // The first collection follows at once, so a node that starts out full need not wait a period.
    void this.detectImages(0).then(
      () => tick(),
      (err: Error) => this.o.log?.warn('images not detected', { error: err.message }),
    );
    this.timer = setInterval(() => void tick(), periodMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
