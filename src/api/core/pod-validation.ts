// Validation of PodSpecs, pod templates and pods (create, update, status), following
// Kubernetes' ValidatePodSpec / ValidatePodUpdate / ValidatePodStatusUpdate.
import type { FieldError, KObject } from '../types.js';
import { fieldErr, isLabelValue, isQualifiedName, jsonEqual, validateAnnotations, validateLabels } from '../validation.js';
import { validateContainerList } from './container-validation.js';
import { POD_VOLUME_SOURCES } from './pod-defaults.js';
import { validateEphemeralContainerRefs } from './pod-ephemeral-validation.js';
import {
  asArray,
  isConfigMapKey,
  isObject,
  isValidIP,
  jsonDiff,
  tooMany,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validateNonNegativeInt,
  validateQualifiedName,
} from './validate-helpers.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_INT32 = 2147483647;

function validateVolumes(volumes: unknown, path: string): { errs: FieldError[]; byName: Map<string, any> } {
  const errs: FieldError[] = [];
  const byName = new Map<string, any>();
  asArray(volumes).forEach((v: any, i) => {
    const ip = `${path}[${i}]`;
    if (!v?.name) errs.push(fieldErr.required(`${ip}.name`));
    else {
      errs.push(...validateDNS1123Label(String(v.name), `${ip}.name`));
      if (byName.has(v.name)) errs.push(fieldErr.duplicate(`${ip}.name`, v.name));
      else byName.set(v.name, v);
    }
    const kinds = POD_VOLUME_SOURCES.filter((k) => v?.[k] !== undefined && v?.[k] !== null);
    if (kinds.length === 0) errs.push(fieldErr.required(ip, 'must specify a volume type'));
    for (const k of kinds.slice(1)) errs.push(fieldErr.forbidden(`${ip}.${k}`, 'may not specify more than 1 volume type'));
    const src = kinds.length === 1 ? v[kinds[0]!] : undefined;
    switch (kinds[0]) {
      case 'hostPath':
        if (!src.path) errs.push(fieldErr.required(`${ip}.hostPath.path`));
        errs.push(
          ...validateEnum(
            src.type,
            `${ip}.hostPath.type`,
            ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'],
            false,
          ),
        );
        break;
      case 'secret':
        if (!src.secretName) errs.push(fieldErr.required(`${ip}.secret.secretName`));
        break;
      case 'configMap':
        if (!src.name) errs.push(fieldErr.required(`${ip}.configMap.name`));
        break;
      case 'persistentVolumeClaim':
        if (!src.claimName) errs.push(fieldErr.required(`${ip}.persistentVolumeClaim.claimName`));
        break;
      case 'nfs':
        if (!src.server) errs.push(fieldErr.required(`${ip}.nfs.server`));
        if (!src.path) errs.push(fieldErr.required(`${ip}.nfs.path`));
        break;
    }
    for (const k of ['secret', 'configMap'] as const)
      asArray(v?.[k]?.items).forEach((it: any, j) => {
        const p = `${ip}.${k}.items[${j}]`;
        if (!it?.key) errs.push(fieldErr.required(`${p}.key`));
        else for (const m of isConfigMapKey(it.key)) errs.push(fieldErr.invalid(`${p}.key`, it.key, m));
        if (!it?.path) errs.push(fieldErr.required(`${p}.path`));
      });
    const mode = v?.[kinds[0] ?? '']?.defaultMode;
    if (typeof mode === 'number' && (mode < 0 || mode > 0o777))
      errs.push(fieldErr.invalid(`${ip}.${kinds[0]}.defaultMode`, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
  });
  return { errs, byName };
}

/** ValidateTolerations, shared with anything that embeds tolerations. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(tolerations).forEach((t: any, i) => {
    const ip = `${path}[${i}]`;
    if (t?.key) errs.push(...validateQualifiedName(t.key, `${ip}.key`));
    else if (t?.operator !== 'Exists')
      errs.push(
        fieldErr.invalid(`${ip}.operator`, t?.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    if (t?.tolerationSeconds !== undefined && t?.tolerationSeconds !== null && t?.effect !== 'NoExecute')
      errs.push(fieldErr.invalid(`${ip}.effect`, t?.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    switch (t?.operator) {
      case undefined:
      case null:
      case '':
      case 'Equal':
        if (t?.value && isLabelValue(String(t.value)).length) errs.push(fieldErr.invalid(`${ip}.operator`, t.value, isLabelValue(String(t.value)).join(';')));
        break;
      case 'Exists':
        if (t?.value) errs.push(fieldErr.invalid(`${ip}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(fieldErr.notSupported(`${ip}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t?.effect) errs.push(...validateEnum(t.effect, `${ip}.effect`, TAINT_EFFECTS));
  });
  return errs;
}

function validatePodSecurityContext(sc: any, path: string): FieldError[] {
  if (!isObject(sc)) return [];
  const errs: FieldError[] = [];
  for (const k of ['runAsUser', 'runAsGroup', 'fsGroup']) errs.push(...validateNonNegativeInt(sc[k], `${path}.${k}`));
  asArray(sc.supplementalGroups).forEach((g, i) => {
    errs.push(...validateNonNegativeInt(g, `${path}.supplementalGroups[${i}]`));
  });
  if (sc.fsGroupChangePolicy !== undefined) errs.push(...validateEnum(sc.fsGroupChangePolicy, `${path}.fsGroupChangePolicy`, ['OnRootMismatch', 'Always']));
  return errs;
}

function validateTopologySpread(constraints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(constraints).forEach((c: any, i) => {
    const ip = `${path}[${i}]`;
    if (!(typeof c?.maxSkew === 'number' && c.maxSkew > 0)) errs.push(fieldErr.invalid(`${ip}.maxSkew`, c?.maxSkew ?? 0, 'must be greater than zero'));
    if (!c?.topologyKey) errs.push(fieldErr.required(`${ip}.topologyKey`, 'can not be empty'));
    else errs.push(...validateQualifiedName(c.topologyKey, `${ip}.topologyKey`));
    errs.push(...validateEnum(c?.whenUnsatisfiable, `${ip}.whenUnsatisfiable`, ['DoNotSchedule', 'ScheduleAnyway']));
  });
  return errs;
}

/** ValidatePodSpec: everything in a PodSpec, for pods and every workload's template. */
export function validatePodSpec(spec: any, path: string): FieldError[] {
  if (!isObject(spec)) return [fieldErr.required(path)];
  const { errs, byName } = validateVolumes(spec.volumes, `${path}.volumes`);
  const names = new Set<string>();
  if (!asArray(spec.containers).length) errs.push(fieldErr.required(`${path}.containers`));
  else errs.push(...validateContainerList(spec.containers, `${path}.containers`, 'container', byName, names));
  errs.push(...validateContainerList(spec.initContainers, `${path}.initContainers`, 'init', byName, names));
  errs.push(...validateContainerList(spec.ephemeralContainers, `${path}.ephemeralContainers`, 'ephemeral', byName, names));
  errs.push(...validateEphemeralContainerRefs(spec, `${path}.ephemeralContainers`));
  if (spec.hostNetwork === true)
    for (const [list, kind] of [
      [spec.containers, 'containers'],
      [spec.initContainers, 'initContainers'],
    ] as const)
      asArray(list).forEach((c: any, i) => {
        asArray(c?.ports).forEach((p: any, j) => {
          if (p?.hostPort && p.hostPort !== p.containerPort)
            errs.push(fieldErr.invalid(`${path}.${kind}[${i}].ports[${j}].containerPort`, p.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
        });
      });
  errs.push(...validateEnum(spec.restartPolicy, `${path}.restartPolicy`, RESTART_POLICIES));
  errs.push(...validateEnum(spec.dnsPolicy, `${path}.dnsPolicy`, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !isObject(spec.dnsConfig))
    errs.push(fieldErr.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (isObject(spec.dnsConfig)) {
    if (asArray(spec.dnsConfig.nameservers).length > 3)
      errs.push(fieldErr.invalid(`${path}.dnsConfig.nameservers`, spec.dnsConfig.nameservers, 'must not have more than 3 nameservers'));
    asArray(spec.dnsConfig.nameservers).forEach((ns, i) => {
      if (!isValidIP(ns)) errs.push(fieldErr.invalid(`${path}.dnsConfig.nameservers[${i}]`, ns, 'must be valid IP address'));
    });
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  for (const k of ['serviceAccountName', 'nodeName', 'priorityClassName']) if (spec[k]) errs.push(...validateDNS1123Subdomain(String(spec[k]), `${path}.${k}`));
  for (const k of ['hostname', 'subdomain']) if (spec[k]) errs.push(...validateDNS1123Label(String(spec[k]), `${path}.${k}`));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_INT32)
      errs.push(fieldErr.invalid(`${path}.activeDeadlineSeconds`, v, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  errs.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  errs.push(...validatePodSecurityContext(spec.securityContext, `${path}.securityContext`));
  errs.push(...validateTopologySpread(spec.topologySpreadConstraints, `${path}.topologySpreadConstraints`));
  asArray(spec.imagePullSecrets).forEach((s: any, i) => {
    if (!s?.name) errs.push(fieldErr.required(`${path}.imagePullSecrets[${i}].name`));
  });
  asArray(spec.readinessGates).forEach((g: any, i) => {
    for (const m of isQualifiedName(g?.conditionType ?? ''))
      errs.push(fieldErr.invalid(`${path}.readinessGates[${i}].conditionType`, g?.conditionType ?? '', m));
  });
  const gates = new Set<string>();
  asArray(spec.schedulingGates).forEach((g: any, i) => {
    const p = `${path}.schedulingGates[${i}].name`;
    errs.push(...validateQualifiedName(g?.name ?? '', p));
    if (gates.has(g?.name)) errs.push(fieldErr.duplicate(p, g.name));
    gates.add(g?.name);
  });
  if (isObject(spec.os)) errs.push(...validateEnum(spec.os.name, `${path}.os.name`, ['linux', 'windows']));
  if (spec.hostUsers === false && (spec.hostNetwork || spec.hostPID || spec.hostIPC))
    errs.push(fieldErr.forbidden(`${path}.hostUsers`, 'when `hostUsers` is false, `hostNetwork`, `hostPID` and `hostIPC` must be false'));
  return errs;
}

/**
 * ValidatePodTemplateSpec: labels, annotations and the PodSpec of an embedded template.
 * Kubernetes reports the template's labels at `<path>.labels` (not `.metadata.labels`).
 */
export function validatePodTemplate(template: any, path: string): FieldError[] {
  if (!isObject(template)) return [fieldErr.required(path)];
  const errs = [
    ...validateLabels(template.metadata?.labels, `${path}.labels`),
    ...validateAnnotations(template.metadata?.annotations, `${path}.annotations`),
    ...validatePodSpec(template.spec, `${path}.spec`),
  ];
  if (asArray(template.spec?.ephemeralContainers).length)
    errs.push(fieldErr.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

/** validatePodMetadataAndSpec: what every write of a pod checks. */
export function validatePod(pod: KObject): FieldError[] {
  const errs = validatePodSpec(pod.spec, 'spec');
  if (pod.spec?.nodeName && asArray(pod.spec?.schedulingGates).length)
    errs.push(fieldErr.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

/** ValidatePodCreate's own checks: ephemeral containers arrive only through pods/ephemeralcontainers. */
export function validatePodCreate(pod: KObject): FieldError[] {
  if (asArray(pod.spec?.ephemeralContainers).length) return [fieldErr.forbidden('spec.ephemeralContainers', 'cannot be set on create')];
  return [];
}

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validateOnlyAddedTolerations(next: unknown, old: unknown, path: string): FieldError[] {
  for (const o of asArray(old)) {
    const found = asArray(next).some((n: any) => jsonEqual({ ...o, tolerationSeconds: n?.tolerationSeconds }, n));
    if (!found) return [fieldErr.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/** ValidatePodUpdate: a pod's spec is immutable but for images, deadlines, tolerations and gates. */
export function validatePodUpdate(pod: KObject, old: KObject): FieldError[] {
  const spec = pod.spec ?? {};
  const oldSpec = old.spec ?? {};
  for (const k of ['containers', 'initContainers'] as const)
    if (asArray(spec[k]).length !== asArray(oldSpec[k]).length) return [fieldErr.forbidden(`spec.${k}`, 'pod updates may not add or remove containers')];
  const errs: FieldError[] = [];
  for (const k of ['containers', 'initContainers'] as const)
    asArray(spec[k]).forEach((c: any, i) => {
      if (!c?.image) errs.push(fieldErr.required(`spec.${k}[${i}].image`));
    });
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < ads)
      return [...errs, fieldErr.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));

  // Munge the allowed changes into a copy of the new spec; anything left different is forbidden.
  // Only compared and printed, never stored: a copy of the parts it changes is enough
  // (jsonEqual and jsonDiff read it as its JSON; the spec is JSON data).
  const munged: any = { ...spec };
  for (const k of ['containers', 'initContainers'] as const)
    if (Array.isArray(munged[k])) munged[k] = munged[k].map((c: any, i: number) => (isObject(c) ? { ...c, image: oldSpec[k][i]?.image } : c));
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1)
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  // Scheduling gates may only be removed; while gated, node selection may be narrowed.
  const oldGates = asArray(oldSpec.schedulingGates);
  if (asArray(spec.schedulingGates).every((g: any) => oldGates.some((o: any) => o?.name === g?.name))) {
    munged.schedulingGates = oldSpec.schedulingGates;
    if (oldGates.length) {
      const added = Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => !(k in (oldSpec.nodeSelector ?? {})) || oldSpec.nodeSelector[k] === v);
      if (added) munged.nodeSelector = oldSpec.nodeSelector;
      if (!oldSpec.affinity) munged.affinity = oldSpec.affinity;
    }
  } else if (asArray(spec.schedulingGates).length) {
    errs.push(fieldErr.forbidden('spec.schedulingGates', 'only deletion is allowed, but found new scheduling gate'));
  }
  for (const k of Object.keys(munged)) if (munged[k] === undefined) delete munged[k];
  if (!jsonEqual(munged, oldSpec)) errs.push(fieldErr.forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n${jsonDiff(oldSpec, munged, 'spec').join('\n')}`));
  return errs;
}

function validateContainerStatusTransitions(next: unknown, old: unknown, path: string, restartPolicy: string): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  asArray(next).forEach((s: any, i) => {
    const o = asArray(old).find((x: any) => x?.name === s?.name);
    const term = o?.state?.terminated;
    if (!term || s?.state?.terminated) return;
    if (restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && term.exitCode === 0))
      errs.push(fieldErr.forbidden(`${path}[${i}].state`, 'may not be transitioned to non-terminated state'));
  });
  return errs;
}

function validatePodIPList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ips = asArray(list);
  if (ips.length > 2) errs.push(tooMany(path, ips.length, 2));
  const seen = new Set<string>();
  ips.forEach((x: any, i) => {
    if (!isValidIP(x?.ip)) errs.push(fieldErr.invalid(`${path}[${i}].ip`, x?.ip ?? '', 'must be a valid IP address'));
    else if (seen.has(x.ip)) errs.push(fieldErr.duplicate(`${path}[${i}].ip`, x.ip));
    else seen.add(x.ip);
  });
  return errs;
}

/** ValidatePodStatusUpdate. */
export function validatePodStatusUpdate(pod: KObject, old: KObject): FieldError[] {
  const st = pod.status ?? {};
  const errs: FieldError[] = [];
  if (st.nominatedNodeName) errs.push(...validateDNS1123Subdomain(st.nominatedNodeName, 'status.nominatedNodeName'));
  const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
  if (st.phase) errs.push(...validateEnum(st.phase, 'status.phase', phases));
  const rp = old.spec?.restartPolicy ?? 'Always';
  errs.push(...validateContainerStatusTransitions(st.containerStatuses, old.status?.containerStatuses, 'status.containerStatuses', rp));
  errs.push(
    ...validateContainerStatusTransitions(
      st.initContainerStatuses,
      old.status?.initContainerStatuses,
      'status.initContainerStatuses',
      rp === 'Always' ? 'OnFailure' : rp,
    ),
  );
  errs.push(...validatePodIPList(st.podIPs, 'status.podIPs'), ...validatePodIPList(st.hostIPs, 'status.hostIPs'));
  if (st.podIP && asArray(st.podIPs).length && st.podIPs[0]?.ip !== st.podIP)
    errs.push(fieldErr.invalid('status.podIPs[0].ip', st.podIPs[0]?.ip, 'must be equal to `podIP`'));
  asArray(st.conditions).forEach((c: any, i) => {
    if (!c?.type) errs.push(fieldErr.required(`status.conditions[${i}].type`));
    errs.push(...validateEnum(c?.status, `status.conditions[${i}].status`, ['True', 'False', 'Unknown']));
  });
  return errs;
}
