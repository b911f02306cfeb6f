// The legacy token controller (kube-controller-manager's serviceaccount-token): a Secret of
// type kubernetes.io/service-account-token naming a service account in its
// `kubernetes.io/service-account.name` annotation gets a signed, non-expiring token, the
// cluster CA and the namespace in its data; when its account is gone (or is another one by
// UID), the Secret is deleted.
import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory, LegacyTokenSigner } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

export class ServiceAccountTokenController extends QueueController {
  readonly name = 'serviceaccount-token';
  private readonly secrets: SharedInformer<Secret>;
  private readonly accounts: SharedInformer<ServiceAccount>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly sign: LegacyTokenSigner,
    private readonly rootCA: string,
  ) {
    super({ workers: 2, log: ctx.log, failure: 'service account token sync failed', keyField: 'secret' });
    this.secrets = ctx.informers.informerFor(resources.secrets);
    this.accounts = ctx.informers.informerFor(resources.serviceAccounts);
    const secret = (s: Secret) => {
      if (s.type === SA_TOKEN_TYPE) this.queue.add(`${s.metadata!.namespace}/${s.metadata!.name}`);
    };
    this.secrets.addEventHandler({ onAdd: secret, onUpdate: (_o, s) => secret(s) });
    // An account that goes or comes back: its Secrets are looked at again.
    const account = (sa: ServiceAccount) => {
      for (const s of this.secrets.store.list())
        if (s.type === SA_TOKEN_TYPE && s.metadata?.namespace === sa.metadata?.namespace && s.metadata?.annotations?.[SA_NAME_ANNOTATION] === sa.metadata?.name)
          secret(s);
    };
    this.accounts.addEventHandler({ onAdd: account, onDelete: account });
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const s = this.secrets.get(name, namespace);
    if (!s || s.type !== SA_TOKEN_TYPE || s.metadata?.deletionTimestamp) return;
    const saName = s.metadata?.annotations?.[SA_NAME_ANNOTATION];
    if (!saName) return; // validation refuses these; nothing to fill
    const sa = this.accounts.get(saName, namespace);
    const wantUid = s.metadata?.annotations?.[SA_UID_ANNOTATION];
    if (!sa || (wantUid && sa.metadata?.uid !== wantUid)) {
      try {
        await this.ctx.client.secrets.delete(name, { namespace, preconditions: { uid: s.metadata!.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const filled = s.data?.token && s.data['ca.crt'] === b64(this.rootCA) && s.data.namespace === b64(namespace) && wantUid;
    if (filled) return;
    const token = s.data?.token ? Buffer.from(s.data.token, 'base64').toString() : await this.sign(namespace, { name: saName, uid: sa.metadata!.uid! }, name);
    const updated: Secret = {
      ...s,
      metadata: { ...s.metadata, annotations: { ...s.metadata?.annotations, [SA_UID_ANNOTATION]: sa.metadata!.uid! } },
      data: { ...s.data, token: b64(token), 'ca.crt': b64(this.rootCA), namespace: b64(namespace) },
    };
    try {
      await this.ctx.client.secrets.update(updated);
    } catch (err) {
      // Changed meanwhile: the update event brings it back here.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}

export const serviceAccountTokenController: ControllerFactory = (ctx) => {
  const sign = ctx.settings?.signLegacyToken;
  const ca = ctx.settings?.rootCA;
  // Without the signing key (bare test clusters) there are no tokens to write.
  if (!sign || !ca) return { name: 'serviceaccount-token', run: async () => undefined, stop: () => undefined };
  return new ServiceAccountTokenController(ctx, sign, ca);
};
