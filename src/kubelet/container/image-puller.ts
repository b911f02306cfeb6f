// Makes sure a container's image is on the node before the container is created, the way
// the kubelet's image manager does: the pull policy decides whether to pull, failed pulls
// back off per (pod, image) from 10 s doubling to 5 min, and every outcome is told as the
// kubelet tells it (events Pulling/Pulled/Failed/BackOff/ErrImageNeverPull; waiting reasons
// ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { imageTag } from '../../api/core/pod-defaults.js';
import type { Backoff } from './backoff.js';
import { authsForImage } from './pull-secrets.js';
import type { ImageService, PullAuth } from '../runtime/types.js';

export type PullOutcome =
  | { ok: true; imageRef: string /** How long a pull took, when one was made. */; pulledMs?: number }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull'; message: string; retryAt?: number };

export type EventFn = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** The policy the apiserver would have defaulted: Always for `:latest` or no tag, else IfNotPresent. */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  const p = c.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  return imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;

export class ImagePuller {
  /** The last pull error per back-off key, repeated in ImagePullBackOff messages as the kubelet does. */
  private readonly lastError = new Map<string, string>();
  /** When the last pull of a back-off key failed: the start of its back-off window. */
  private readonly failedAt = new Map<string, number>();

  constructor(
    private readonly images: ImageService,
    readonly backoff: Backoff,
    private readonly event: EventFn = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  async ensure(pod: Pod, c: Container, auths: PullAuth[] = []): Promise<PullOutcome> {
    const image = c.image ?? '';
    if (!image) return { ok: false, reason: 'ErrImagePull', message: `container ${c.name} names no image` };
    const policy = pullPolicyOf(c);
    const present = policy === 'Always' ? undefined : await this.images.imageStatus(image);
    if (present) {
      this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true, imageRef: present.id };
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.event(pod, 'Warning', 'ErrImageNeverPull', message);
      this.event(pod, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    const key = `${pod.metadata?.uid ?? ''}/${image}`;
    const failedAt = this.failedAt.get(key);
    const until = failedAt === undefined ? undefined : this.backoff.until(key, failedAt);
    if (until !== undefined) {
      this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      const prev = this.lastError.get(key);
      return { ok: false, reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"${prev ? `: ${prev}` : ''}`, retryAt: until };
    }
    this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const start = this.now();
    let imageRef: string;
    try {
      imageRef = await this.pullWithAuths(image, authsForImage(image, auths));
    } catch (err) {
      const msg = (err as Error).message;
      this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      const at = this.now();
      const delay = this.backoff.next(key, at);
      this.failedAt.set(key, at);
      this.lastError.set(key, `ErrImagePull: ${msg}`);
      return { ok: false, reason: 'ErrImagePull', message: msg, retryAt: at + delay };
    }
    this.lastError.delete(key);
    this.failedAt.delete(key);
    const pulledMs = this.now() - start;
    const took = seconds(pulledMs);
    const size = (await this.images.imageStatus(image).catch(() => undefined))?.size;
    this.event(
      pod,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${took} (${took} including waiting)${size !== undefined ? `. Image size: ${size} bytes.` : ''}`,
    );
    return { ok: true, imageRef, pulledMs };
  }

  /** Forgets a pod's pull back-offs once the pod is gone. */
  forget(podUid: string): void {
    const prefix = `${podUid}/`;
    this.backoff.resetPrefix(prefix);
    for (const m of [this.lastError, this.failedAt]) for (const k of m.keys()) if (k.startsWith(prefix)) m.delete(k);
  }

  /** Each matching credential in turn, as the kubelet does; anonymous when none matches. */
  private async pullWithAuths(image: string, auths: PullAuth[]): Promise<string> {
    if (!auths.length) return this.images.pullImage(image);
    let last: unknown;
    for (const a of auths) {
      try {
        return await this.images.pullImage(image, a);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }
}
