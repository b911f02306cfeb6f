// The ephemeral-volume controller: for each `ephemeral` volume of a pod, a PVC named
// `<pod>-<volume>` made from the volume's claim template and owned by the pod, so that the
// claim lives and dies with it (the garbage collector removes it after the pod).
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import type { ControllerContext } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';
import type { EventRecorder } from '../client/event-recorder.js';

export function ephemeralClaimName(pod: Pod, volumeName: string): string {
  return `${pod.metadata?.name}-${volumeName}`;
}

/** True when the claim was made for this pod (the pod is its controlling owner). */
export function ownedByPod(pvc: PersistentVolumeClaim, pod: Pod): boolean {
  return !!pvc.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Pod' && r.uid === pod.metadata?.uid);
}

export class EphemeralVolumeController extends QueueController {
  readonly name = 'ephemeral-volume';
  private readonly pods: SharedInformer<Pod>;
  private readonly pvcs: SharedInformer<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'ephemeral volume sync failed', keyField: 'pod' });
    this.pods = ctx.informers.informerFor(resources.pods);
    this.pvcs = ctx.informers.informerFor(resources.persistentVolumeClaims);
    this.recorder = ctx.recorder('ephemeral_volume');
    const pod = (p: Pod) => {
      if (!p.metadata?.deletionTimestamp && p.spec?.volumes?.some((v) => v.ephemeral)) this.queue.add(`${p.metadata!.namespace}/${p.metadata!.name}`);
    };
    this.pods.addEventHandler({ onAdd: pod, onUpdate: (_o, p) => pod(p) });
    // A claim deleted under a pod that still needs it is made again.
    this.pvcs.addEventHandler({
      onDelete: (c) => {
        for (const r of c.metadata?.ownerReferences ?? []) if (r.kind === 'Pod' && r.controller) this.queue.add(`${c.metadata!.namespace}/${r.name}`);
      },
    });
  }

  async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const pod = this.pods.get(name, ns);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    const api = this.ctx.client.resource(resources.persistentVolumeClaims);
    for (const v of pod.spec?.volumes ?? []) {
      const template = v.ephemeral?.volumeClaimTemplate;
      if (!template) continue;
      const claimName = ephemeralClaimName(pod, v.name);
      const existing = this.pvcs.get(claimName, ns);
      if (existing) {
        if (!ownedByPod(existing, pod)) this.recorder.event(pod as never, 'Warning', 'FailedBinding', `PVC ${ns}/${claimName} was not created for the pod`);
        continue;
      }
      const pvc: PersistentVolumeClaim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName,
          namespace: ns,
          ...(template.metadata?.labels ? { labels: { ...template.metadata.labels } } : {}),
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: structuredClone(template.spec),
      };
      try {
        await api.create(pvc);
      } catch (err) {
        // Gone meanwhile (NotFound namespace) or made by an earlier pass: nothing more to do.
        if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
      }
    }
  }
}

export const ephemeralVolumeController = (ctx: ControllerContext): EphemeralVolumeController => new EphemeralVolumeController(ctx);
