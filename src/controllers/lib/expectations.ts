// Expectations bridge the gap between a controller's own writes and its informer cache:
// after asking for N creations (or named deletions) a controller does not act on the same
// key again until the cache has shown them, or until they expire — otherwise a reconcile
// that runs before the watch catches up would see too few pods and create them twice.
// Same contract as client-go's ControllerExpectations / UIDTrackingControllerExpectations.

/** Kubernetes waits 5 minutes before it distrusts expectations that never came true. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** Keys (namespace/name) of pods whose deletion we wait for; observing one twice counts once. */
  deleting: Set<string>;
  at: number;
}

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** True when the controller may act on `key`: nothing in flight, or what was in flight expired. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now() - e.at > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: 0, deleting: new Set(), at: this.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.items.set(key, { add: 0, del: podKeys.length, deleting: new Set(podKeys), at: this.now() });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e && e.add > 0) e.add--;
  }

  /** Call on a pod's deletion (or its deletionTimestamp); `podKey` makes repeats harmless. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.items.get(key);
    if (!e?.deleting.delete(podKey)) return;
    e.del--;
  }

  /** A create that failed will never be observed: stop waiting for it. */
  lowerCreations(key: string, n = 1): void {
    const e = this.items.get(key);
    if (e) e.add = Math.max(0, e.add - n);
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  pending(key: string): { add: number; del: number } | undefined {
    const e = this.items.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
