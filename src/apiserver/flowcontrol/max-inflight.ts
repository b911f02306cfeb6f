// The limiter kube-apiserver uses when --enable-priority-and-fairness=false: at most
// --max-requests-inflight read-only and --max-mutating-requests-inflight mutating requests
// at once, anything beyond answered 429 at once; system:masters and long-running
// requests (watches included) are not counted.
const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', 'post', 'put', 'delete']);

export class MaxInflight {
  private readonly inflight = { readOnly: 0, mutating: 0 };

  constructor(private readonly limits: { readOnly: number; mutating: number }) {}

  /** A release function, or undefined when the request's class is full. */
  tryAcquire(verb: string): (() => void) | undefined {
    const kind = MUTATING.has(verb) ? 'mutating' : 'readOnly';
    const limit = this.limits[kind];
    if (limit > 0 && this.inflight[kind] >= limit) return undefined;
    this.inflight[kind]++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflight[kind]--;
    };
  }
}
