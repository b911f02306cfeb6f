// The userspace proxy's balancer, as the seed describes kube-proxy's first mode: endpoints
// are taken in strict rotation, one per new connection (or UDP session). With
// sessionAffinity ClientIP a client's address stays pinned to the endpoint it got until the
// pin has been idle for the timeout. A retry after a failed connect asks for `reset`, which
// ignores the pin so the next endpoint in turn is tried.

export interface Backend {
  ip: string;
  port: number;
}

const id = (b: Backend) => `${b.ip}:${b.port}`;

export class RoundRobin {
  private backends: Backend[] = [];
  private next = 0;
  private readonly pins = new Map<string, { backend: Backend; lastUsed: number }>();

  constructor(
    private affinityMs: number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.backends.length;
  }

  /** Replaces the endpoint list; the rotation restarts only when the list really changed. */
  update(backends: readonly Backend[], affinityMs: number | undefined): void {
    if (affinityMs !== this.affinityMs) {
      this.affinityMs = affinityMs;
      this.pins.clear();
    }
    const changed = backends.length !== this.backends.length || backends.some((b, i) => id(b) !== id(this.backends[i]!));
    if (!changed) return;
    this.backends = backends.map((b) => ({ ip: b.ip, port: b.port }));
    this.next = 0;
    const live = new Set(this.backends.map(id));
    for (const [client, pin] of this.pins) if (!live.has(id(pin.backend))) this.pins.delete(client);
  }

  has(b: Backend): boolean {
    return this.backends.some((x) => id(x) === id(b));
  }

  /** The endpoint for a new connection from `clientIP`, or undefined when there is none. */
  pick(clientIP: string, reset = false): Backend | undefined {
    if (this.backends.length === 0) return undefined;
    const t = this.now();
    if (this.affinityMs !== undefined && !reset) {
      const pin = this.pins.get(clientIP);
      if (pin && t - pin.lastUsed < this.affinityMs) {
        pin.lastUsed = t;
        return pin.backend;
      }
    }
    const backend = this.backends[this.next % this.backends.length]!;
    this.next = (this.next + 1) % this.backends.length;
    if (this.affinityMs !== undefined) this.pins.set(clientIP, { backend, lastUsed: t });
    return backend;
  }
}
