// Defaulting of pods and pod templates, as Kubernetes' v1 defaulting functions do it.
// defaultPodSpec is what every pod template gets (apps, batch, RCs); defaultPod adds what
// only real pods get (SetDefaults_Pod and the admission plugins that always run).
import type { KObject } from '../types.js';
import { asArray, isObject, parseQuantity } from './validate-helpers.js';

/** The tag of an image reference; 'latest' when the reference names neither tag nor digest. */
export function imageTag(image: string): string {
  if (!image) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultProbe(p: any): void {
  if (!isObject(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHandler(p);
}

function defaultHandler(h: any): void {
  if (!isObject(h)) return;
  if (isObject(h.httpGet)) {
    if (!h.httpGet.path) h.httpGet.path = '/';
    if (!h.httpGet.scheme) h.httpGet.scheme = 'HTTP';
  }
}

function defaultFieldRef(ref: any): void {
  if (isObject(ref) && !ref.apiVersion) ref.apiVersion = 'v1';
}

/** SetDefaults_Container plus the defaults of everything nested in a container. */
export function defaultContainer(c: any): void {
  if (!isObject(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (!isObject(c.resources)) c.resources = {};
  for (const p of asArray(c.ports)) if (isObject(p) && !p.protocol) p.protocol = 'TCP';
  for (const e of asArray(c.env)) if (isObject(e?.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObject(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;
export const POD_VOLUME_SOURCES: readonly string[] = VOLUME_SOURCES;

function defaultVolume(v: any): void {
  if (!isObject(v)) return;
  if (!VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected'] as const) if (isObject(v[k]) && v[k].defaultMode === undefined) v[k].defaultMode = 420;
  if (isObject(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  for (const item of asArray(v.downwardAPI?.items)) defaultFieldRef(item?.fieldRef);
  for (const src of asArray(v.projected?.sources)) {
    for (const item of asArray(src?.downwardAPI?.items)) defaultFieldRef(item?.fieldRef);
    if (isObject(src?.serviceAccountToken) && src.serviceAccountToken.expirationSeconds === undefined) src.serviceAccountToken.expirationSeconds = 3600;
  }
  if (isObject(v.iscsi) && !v.iscsi.iscsiInterface) v.iscsi.iscsiInterface = 'default';
  if (isObject(v.image) && !v.image.pullPolicy) v.image.pullPolicy = imageTag(v.image.reference ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_PodSpec and everything nested in it: what a pod template in any workload gets. */
export function defaultPodSpec(spec: any): void {
  if (!isObject(spec)) return;
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  // The v1 API keeps the deprecated serviceAccount field in step with serviceAccountName.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of asArray(spec.containers)) defaultContainer(c);
  for (const c of asArray(spec.initContainers)) defaultContainer(c);
  for (const c of asArray(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of asArray(spec.volumes)) defaultVolume(v);
}

/** Defaults of a PodTemplateSpec ({metadata, spec}) as embedded in workloads. */
export function defaultPodTemplate(template: any): void {
  if (!isObject(template)) return;
  if (!isObject(template.spec)) template.spec = {};
  defaultPodSpec(template.spec);
}

/** Priorities of the built-in priority classes, as the Priority admission plugin resolves them. */
const SYSTEM_PRIORITIES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

function requestsFromLimits(c: any): void {
  if (!isObject(c?.resources?.limits)) return;
  const requests = isObject(c.resources.requests) ? c.resources.requests : {};
  for (const [k, v] of Object.entries(c.resources.limits)) if (requests[k] === undefined) requests[k] = v;
  if (Object.keys(requests).length) c.resources.requests = requests;
}

/** Everything a pod gets on the way in: SetDefaults_Pod, the PodSpec defaults, and the always-on admission defaults. */
export function defaultPod(pod: KObject): void {
  if (!isObject(pod.spec)) pod.spec = {};
  const spec = pod.spec;
  defaultPodSpec(spec);
  for (const c of [...asArray(spec.containers), ...asArray(spec.initContainers)]) requestsFromLimits(c);
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true)
    for (const c of [...asArray(spec.containers), ...asArray(spec.initContainers)])
      for (const p of asArray(c?.ports)) if (isObject(p) && !p.hostPort && p.containerPort) p.hostPort = p.containerPort;
  // ServiceAccount and Priority admission: every pod runs as some account and has a priority.
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.priority === undefined || spec.priority === null) {
    const known = SYSTEM_PRIORITIES[spec.priorityClassName ?? ''];
    if (!spec.priorityClassName) spec.priority = 0;
    else if (known !== undefined) spec.priority = known;
  }
  if (!spec.preemptionPolicy && (spec.priority !== undefined || spec.priorityClassName)) spec.preemptionPolicy = 'PreemptLowerPriority';
  syncStatusIPs(pod);
}

/** The v1 API keeps status.podIP/hostIP and their plural lists in step. */
function syncStatusIPs(pod: KObject): void {
  const st = pod.status;
  if (!isObject(st)) return;
  for (const [one, many] of [
    ['podIP', 'podIPs'],
    ['hostIP', 'hostIPs'],
  ] as const) {
    const list = asArray(st[many]);
    if (st[one] && list.length === 0) st[many] = [{ ip: st[one] }];
    else if (list.length > 0 && !st[one] && list[0]?.ip) st[one] = list[0].ip;
  }
}

const QOS_RESOURCES = new Set(['cpu', 'memory']);

/** The pod's QoS class: Guaranteed, Burstable or BestEffort (ComputePodQOS). */
export function computeQOSClass(pod: KObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const containers = [...asArray(pod.spec?.containers), ...asArray(pod.spec?.initContainers)];
  for (const c of containers) {
    for (const [name, q] of Object.entries(c?.resources?.requests ?? {})) {
      const v = parseQuantity(q);
      if (!QOS_RESOURCES.has(name) || v === null || v <= 0n) continue;
      requests.set(name, (requests.get(name) ?? 0n) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c?.resources?.limits ?? {})) {
      const v = parseQuantity(q);
      if (!QOS_RESOURCES.has(name) || v === null || v <= 0n) continue;
      found.add(name);
      limits.set(name, (limits.get(name) ?? 0n) + v);
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
