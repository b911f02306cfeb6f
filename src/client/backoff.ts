// Exponential back-off with jitter, for loops that retry against the apiserver. Jitter keeps
// many clients that failed together (an apiserver restart) from retrying together.

export interface BackoffOptions {
  /** First delay; default 800 ms. */
  initialMs?: number;
  /** Cap on any delay; default 30 s. */
  maxMs?: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /** Each delay is shortened by up to this fraction at random; default 0.2. */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 800;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.2;
  }

  /** The delay before the next retry; each call lengthens the following one. */
  next(): number {
    const raw = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 64);
    return raw * (1 - this.jitter * Math.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
