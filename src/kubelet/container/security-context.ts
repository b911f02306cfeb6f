// The security settings a container runs with: the pod's securityContext overlaid by the
// container's own, converted to CRI's LinuxContainerSecurityContext, and the runAsNonRoot
// check the kubelet makes against the image's user before creating the container.
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { LinuxContainerSecurityContext } from '../runtime/types.js';

/** The fields a container sees after merging (DetermineEffectiveSecurityContext). */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const c = container.securityContext ?? {};
  const out: SecurityContext = {};
  for (const k of ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'windowsOptions'] as const) {
    const v = c[k] ?? p[k];
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  for (const k of ['capabilities', 'privileged', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'procMount'] as const) {
    if (c[k] !== undefined) (out as Record<string, unknown>)[k] = c[k];
  }
  return out;
}

/** The user the image runs as when the pod does not say (from the runtime's image status). */
export interface ImageUser {
  uid?: number;
  username?: string;
}

/** A numeric username ("1000", or "1000:1000" as images write user:group) is a uid. */
function normalize(image: ImageUser | undefined): ImageUser | undefined {
  if (!image || image.uid !== undefined || !image.username) return image;
  const user = image.username.split(':')[0]!;
  return /^[0-9]+$/.test(user) ? { uid: Number(user) } : { username: user };
}

export function linuxSecurityContext(pod: Pod, container: Container, imageUser?: ImageUser): LinuxContainerSecurityContext {
  const image = normalize(imageUser);
  const sc = effectiveSecurityContext(pod, container);
  const out: LinuxContainerSecurityContext = {};
  if (sc.runAsUser !== undefined) out.runAsUser = sc.runAsUser;
  else if (image?.uid !== undefined) out.runAsUser = image.uid;
  else if (image?.username) out.runAsUsername = image.username;
  if (sc.runAsGroup !== undefined) out.runAsGroup = sc.runAsGroup;
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  if (sc.readOnlyRootFilesystem !== undefined) out.readonlyRootfs = sc.readOnlyRootFilesystem;
  const caps = sc.capabilities;
  if (caps?.add?.length || caps?.drop?.length) out.capabilities = { addCapabilities: [...(caps.add ?? [])], dropCapabilities: [...(caps.drop ?? [])] };
  // fsGroup joins the supplemental groups so the container can use the files it owns.
  const groups = [...(pod.spec?.securityContext?.supplementalGroups ?? [])];
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  if (fsGroup !== undefined && !groups.includes(fsGroup)) groups.push(fsGroup);
  if (groups.length) out.supplementalGroups = groups;
  if (sc.allowPrivilegeEscalation === false) out.noNewPrivs = true;
  return out;
}

/** format.Pod: how the kubelet names a pod in messages. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

/**
 * Throws the kubelet's error when runAsNonRoot cannot hold. An image that states no user
 * runs as root, as the kubelet assumes.
 */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: ImageUser = {}): void {
  const image = normalize(imageUser)!;
  const sc = effectiveSecurityContext(pod, container);
  if (!sc.runAsNonRoot) return;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new Error(`container's runAsUser breaks non-root policy (pod: "${formatPod(pod)}", container: ${container.name})`);
    return;
  }
  const uid = image.uid ?? (image.username ? undefined : 0);
  if (uid === 0) throw new Error(`container has runAsNonRoot and image will run as root (pod: "${formatPod(pod)}", container: ${container.name})`);
  if (uid === undefined && image.username)
    throw new Error(
      `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root (pod: "${formatPod(pod)}", container: ${container.name})`,
    );
}
