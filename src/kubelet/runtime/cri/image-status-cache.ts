// Images the runtime said it has, remembered for a few seconds: a burst of pods of one image
// asks the runtime once, not once per container. Only presence is remembered (an image still
// missing is asked again, so a pull elsewhere is seen at once), and the runtime's own changes
// through this client — pulls, removals, a create that failed — drop what was remembered.
import type { Image } from '../types.js';

export const IMAGE_STATUS_TTL_MS = 10_000;

export class ImageStatusCache {
  private readonly entries = new Map<string, { image: Image; at: number }>();

  constructor(
    private readonly ttlMs = IMAGE_STATUS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(ref: string): Image | undefined {
    const e = this.entries.get(ref);
    if (!e) return undefined;
    if (this.now() - e.at >= this.ttlMs) {
      this.entries.delete(ref);
      return undefined;
    }
    return e.image;
  }

  set(ref: string, image: Image): void {
    if (this.ttlMs > 0) this.entries.set(ref, { image, at: this.now() });
  }

  /** Everything forgotten: an image was removed or pulled (names move between images), or a create failed. */
  clear(): void {
    this.entries.clear();
  }
}
