// Service-account tokens for projected volumes, as the kubelet's token manager gets them:
// through TokenRequest, bound to the pod, cached per pod and request, and fetched anew once
// 80 % of the token's lifetime (or 24 h) has passed. When a token is due, the pod's volumes
// are re-rendered, so the file in the container is replaced before the old token expires.
import type { Pod } from 'kubernetes-types/core/v1.js';

const REFRESH_FRACTION = 0.8;
const MAX_AGE_MS = 24 * 3600_000;

export interface TokenRequestAnswer {
  token: string;
  /** Unix ms. */
  expiration: number;
}

/** Asks the apiserver for a token: POST serviceaccounts/<sa>/token in the pod's namespace. */
export type RequestToken = (
  namespace: string,
  serviceAccount: string,
  spec: { audiences?: string[]; expirationSeconds: number; boundObjectRef: { kind: 'Pod'; apiVersion: 'v1'; name: string; uid: string } },
) => Promise<TokenRequestAnswer>;

interface Cached extends TokenRequestAnswer {
  issued: number;
  podUid: string;
}

export class ServiceAccountTokenManager {
  private readonly cache = new Map<string, Cached>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly request: RequestToken,
    /** Called when a pod's token is due for refresh: re-render that pod's volumes. */
    private readonly refreshDue: (podUid: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async token(pod: Pod, req: { audience?: string; expirationSeconds: number }): Promise<string> {
    const ns = pod.metadata?.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName || 'default';
    const uid = pod.metadata?.uid ?? '';
    const key = `${ns}/${sa}/${req.audience ?? ''}/${req.expirationSeconds}/${uid}`;
    const hit = this.cache.get(key);
    if (hit && !this.refreshNeeded(hit)) return hit.token;
    const issued = this.now();
    const answer = await this.request(ns, sa, {
      ...(req.audience ? { audiences: [req.audience] } : {}),
      expirationSeconds: req.expirationSeconds,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata?.name ?? '', uid },
    });
    const entry = { ...answer, issued, podUid: uid };
    this.cache.set(key, entry);
    this.schedule(uid, this.refreshAt(entry));
    return answer.token;
  }

  /** When a token should be replaced: at 80 % of its lifetime, at most 24 h after issue. */
  refreshAt(t: { issued: number; expiration: number }): number {
    return Math.min(t.issued + (t.expiration - t.issued) * REFRESH_FRACTION, t.issued + MAX_AGE_MS);
  }

  refreshNeeded(t: { issued: number; expiration: number }): boolean {
    return this.now() >= this.refreshAt(t);
  }

  /** The pod is gone from the node: its tokens are dropped. */
  forgetPod(podUid: string): void {
    for (const [k, v] of this.cache) if (v.podUid === podUid) this.cache.delete(k);
    clearTimeout(this.timers.get(podUid));
    this.timers.delete(podUid);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(podUid: string, at: number): void {
    const existing = this.timers.get(podUid);
    if (existing) clearTimeout(existing);
    // setTimeout cannot wait longer than 2^31-1 ms; a longer wait is re-armed by the next render.
    const delay = Math.min(Math.max(0, at - this.now()), 2 ** 31 - 1);
    const t = setTimeout(() => {
      this.timers.delete(podUid);
      this.refreshDue(podUid);
    }, delay);
    t.unref();
    this.timers.set(podUid, t);
  }
}
