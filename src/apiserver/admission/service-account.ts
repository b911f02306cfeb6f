// ServiceAccount admission, as kube-apiserver's plugin: a new pod runs as an existing
// service account (`default` unless it names one; a missing one is refused), takes the
// account's imagePullSecrets when it has none, and — unless the pod or the account turns
// automountServiceAccountToken off — gets the projected `kube-api-access-<random>` volume
// (a bound token, the cluster CA from `kube-root-ca.crt`, the namespace) mounted at
// /var/run/secrets/kubernetes.io/serviceaccount in every container.
import { randomInt } from 'node:crypto';
import type { KObject, ResourceDef } from '../../api/types.js';
import type { AdmissionHook } from '../rest/resource-store.js';
import { errors } from '../status.js';

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** An hour and a bit: kube-apiserver's warn-after marker for tokens the kubelet should have refreshed. */
export const TOKEN_EXPIRATION_SECONDS = 3607;
const VOLUME_PREFIX = 'kube-api-access-';
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
// apimachinery's rand.String alphabet: no vowels, no look-alike digits.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** How long a pod waits for its namespace's `default` account (the controller creates it right after the namespace). */
const DEFAULT_ACCOUNT_WAIT_MS = 2_000;

interface Lookup {
  get(key: string): KObject | undefined;
}

function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

export function tokenVolume(name: string): KObject {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  };
}

async function findAccount(cache: Lookup, ns: string, name: string): Promise<KObject | undefined> {
  const key = `/registry/serviceaccounts/${ns}/${name}`;
  let sa = cache.get(key);
  if (sa || name !== 'default') return sa;
  const deadline = Date.now() + DEFAULT_ACCOUNT_WAIT_MS;
  while (!sa && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    sa = cache.get(key);
  }
  return sa;
}

export function serviceAccountAdmission(cache: Lookup): AdmissionHook {
  // Synchronous (no promise) for everything but pod creates.
  return (op, def: ResourceDef, pod: KObject) => {
    if (op !== 'create' || def.group !== '' || def.plural !== 'pods') return;
    return admitPod(cache, pod);
  };
}

async function admitPod(cache: Lookup, pod: KObject): Promise<void> {
  // Static pods' mirrors carry no credentials (the kubelet never mounts them a token).
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object') return;
  const ns = pod.metadata!.namespace!;
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const sa = await findAccount(cache, ns, spec.serviceAccountName);
  if (!sa)
    throw errors.forbidden(
      '',
      'pods',
      pod.metadata?.name ?? '',
      `error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
    );
  if (!(Array.isArray(spec.imagePullSecrets) && spec.imagePullSecrets.length) && Array.isArray(sa.imagePullSecrets) && sa.imagePullSecrets.length)
    spec.imagePullSecrets = sa.imagePullSecrets.map((s: { name?: string }) => ({ name: s?.name }));
  const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
  if (automount === false) return;
  const containers = [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])];
  const lacking = containers.filter(
    (c) => c && typeof c === 'object' && !(Array.isArray(c.volumeMounts) && c.volumeMounts.some((m: any) => m?.mountPath === TOKEN_MOUNT_PATH)),
  );
  if (!lacking.length) return;
  const volumes: KObject[] = Array.isArray(spec.volumes) ? spec.volumes : (spec.volumes = []);
  let name = `${VOLUME_PREFIX}${randomSuffix()}`;
  while (volumes.some((v) => v?.name === name)) name = `${VOLUME_PREFIX}${randomSuffix()}`;
  volumes.push(tokenVolume(name));
  for (const c of lacking) (c.volumeMounts ??= []).push({ name, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
}
