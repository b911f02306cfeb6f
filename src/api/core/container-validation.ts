// Validation of the containers of a PodSpec (regular, init and ephemeral), with Kubernetes'
// field paths and messages.
import type { FieldError } from '../types.js';
import { fieldErr } from '../validation.js';
import {
  asArray,
  compareQuantity,
  isConfigMapKey,
  isEnvVarName,
  isObject,
  isOvercommitAllowed,
  isValidPortName,
  notFound,
  validateContainerResourceName,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validateNonNegativeInt,
  validatePortNum,
  validatePortNumOrName,
  validateProtocol,
  validateResourceQuantity,
} from './validate-helpers.js';

export type ContainerKind = 'container' | 'init' | 'ephemeral';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const ENV_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_REFS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

function validatePorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  asArray(ports).forEach((p: any, i) => {
    const ip = `${path}[${i}]`;
    if (p?.name) {
      const msgs = isValidPortName(String(p.name));
      if (msgs.length) for (const m of msgs) errs.push(fieldErr.invalid(`${ip}.name`, p.name, m));
      else if (names.has(p.name)) errs.push(fieldErr.duplicate(`${ip}.name`, p.name));
      else names.add(p.name);
    }
    if (!p?.containerPort) errs.push(fieldErr.required(`${ip}.containerPort`));
    else errs.push(...validatePortNum(p.containerPort, `${ip}.containerPort`));
    if (p?.hostPort) errs.push(...validatePortNum(p.hostPort, `${ip}.hostPort`));
    errs.push(...validateProtocol(p?.protocol, `${ip}.protocol`));
  });
  return errs;
}

function validateValueFrom(from: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => from?.[k] != null);
  if (sources.length === 0) return [fieldErr.invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`')];
  if (sources.length > 1) return [fieldErr.invalid(path, '', 'may not have more than one field specified at a time')];
  if (from.fieldRef) {
    const fp = `${path}.fieldRef`;
    if (!from.fieldRef.apiVersion) errs.push(fieldErr.required(`${fp}.apiVersion`));
    const f = from.fieldRef.fieldPath;
    if (!f) errs.push(fieldErr.required(`${fp}.fieldPath`));
    else if (!ENV_FIELD_PATHS.includes(f) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(f))
      errs.push(fieldErr.notSupported(`${fp}.fieldPath`, f, ENV_FIELD_PATHS));
  }
  if (from.resourceFieldRef) {
    const r = from.resourceFieldRef.resource;
    if (!r) errs.push(fieldErr.required(`${path}.resourceFieldRef.resource`));
    else if (!RESOURCE_FIELD_REFS.includes(r) && !/^(limits|requests)\.hugepages-/.test(r))
      errs.push(fieldErr.notSupported(`${path}.resourceFieldRef.resource`, r, RESOURCE_FIELD_REFS));
  }
  for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = from[k];
    if (!ref) continue;
    if (!ref.key) errs.push(fieldErr.required(`${path}.${k}.key`));
    else for (const m of isConfigMapKey(ref.key)) errs.push(fieldErr.invalid(`${path}.${k}.key`, ref.key, m));
    if (!ref.name) errs.push(fieldErr.required(`${path}.${k}.name`));
  }
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(env).forEach((e: any, i) => {
    const ip = `${path}[${i}]`;
    if (!e?.name) errs.push(fieldErr.required(`${ip}.name`));
    else for (const m of isEnvVarName(e.name)) errs.push(fieldErr.invalid(`${ip}.name`, e.name, m));
    if (e?.valueFrom) {
      if (e.value) errs.push(fieldErr.invalid(`${ip}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      else errs.push(...validateValueFrom(e.valueFrom, `${ip}.valueFrom`));
    }
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  asArray(envFrom).forEach((e: any, i) => {
    const ip = `${path}[${i}]`;
    if (e?.prefix) for (const m of isEnvVarName(e.prefix)) errs.push(fieldErr.invalid(`${ip}.prefix`, e.prefix, m));
    const n = (e?.configMapRef ? 1 : 0) + (e?.secretRef ? 1 : 0);
    if (n === 0) errs.push(fieldErr.invalid(ip, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldErr.invalid(ip, '', 'may not have more than one field specified at a time'));
    for (const k of ['configMapRef', 'secretRef'] as const) {
      if (!e?.[k]) continue;
      if (!e[k].name) errs.push(fieldErr.required(`${ip}.${k}.name`));
      else errs.push(...validateDNS1123Subdomain(e[k].name, `${ip}.${k}.name`));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, path: string, volumes: Map<string, any>): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  asArray(mounts).forEach((m: any, i) => {
    const ip = `${path}[${i}]`;
    if (!m?.name) errs.push(fieldErr.required(`${ip}.name`));
    else if (!volumes.has(m.name)) errs.push(notFound(`${ip}.name`, m.name));
    if (!m?.mountPath) errs.push(fieldErr.required(`${ip}.mountPath`));
    else if (paths.has(m.mountPath)) errs.push(fieldErr.invalid(`${ip}.mountPath`, m.mountPath, 'must be unique'));
    else paths.add(m.mountPath);
    if (m?.subPath && m?.subPathExpr) errs.push(fieldErr.invalid(`${ip}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    if (typeof m?.subPath === 'string' && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..')))
      errs.push(fieldErr.invalid(`${ip}.subPath`, m.subPath, m.subPath.startsWith('/') ? 'must be a relative path' : "must not contain '..'"));
    if (m?.mountPropagation !== undefined)
      errs.push(...validateEnum(m.mountPropagation, `${ip}.mountPropagation`, ['Bidirectional', 'HostToContainer', 'None']));
  });
  return errs;
}

function validateHandler(h: any, path: string, what: 'handler' | 'action'): FieldError[] {
  const kinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'].filter((k) => h?.[k] != null);
  if (kinds.length === 0) return [fieldErr.required(path, `must specify a ${what} type`)];
  const errs: FieldError[] = [];
  for (const k of kinds.slice(1)) errs.push(fieldErr.forbidden(`${path}.${k}`, `may not specify more than 1 ${what} type`));
  if (h.exec && !asArray(h.exec.command).length) errs.push(fieldErr.required(`${path}.exec.command`));
  if (h.httpGet) {
    if (!h.httpGet.path) errs.push(fieldErr.required(`${path}.httpGet.path`));
    errs.push(...validatePortNumOrName(h.httpGet.port, `${path}.httpGet.port`));
    errs.push(...validateEnum(h.httpGet.scheme, `${path}.httpGet.scheme`, ['HTTP', 'HTTPS']));
  }
  if (h.tcpSocket) errs.push(...validatePortNumOrName(h.tcpSocket.port, `${path}.tcpSocket.port`));
  if (h.grpc) errs.push(...validatePortNum(h.grpc.port, `${path}.grpc.port`));
  if (h.sleep) errs.push(...validateNonNegativeInt(h.sleep.seconds, `${path}.sleep.seconds`));
  return errs;
}

function validateProbe(p: any, path: string): FieldError[] {
  if (!isObject(p)) return [];
  const errs = validateHandler(p, path, 'handler');
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'])
    errs.push(...validateNonNegativeInt(p[k], `${path}.${k}`));
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null && p.terminationGracePeriodSeconds <= 0)
    errs.push(fieldErr.invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  return errs;
}

/** ValidateResourceRequirements for a container. */
export function validateResources(res: any, path: string): FieldError[] {
  if (!isObject(res)) return [];
  const errs: FieldError[] = [];
  const limits: Record<string, unknown> = isObject(res.limits) ? res.limits : {};
  const requests: Record<string, unknown> = isObject(res.requests) ? res.requests : {};
  for (const [name, q] of Object.entries(limits)) {
    const p = `${path}.limits[${name}]`;
    errs.push(...validateContainerResourceName(name, p), ...validateResourceQuantity(name, q, p));
  }
  for (const [name, q] of Object.entries(requests)) {
    const p = `${path}.requests[${name}]`;
    errs.push(...validateContainerResourceName(name, p), ...validateResourceQuantity(name, q, p));
    if (name in limits) {
      const cmp = compareQuantity(q, limits[name]);
      if (cmp !== 0 && !isOvercommitAllowed(name))
        errs.push(fieldErr.invalid(`${path}.requests`, String(q), `must be equal to ${name} limit of ${String(limits[name])}`));
      else if (cmp > 0) errs.push(fieldErr.invalid(`${path}.requests`, String(q), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldErr.required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateContainerSecurityContext(sc: any, path: string): FieldError[] {
  if (!isObject(sc)) return [];
  const errs: FieldError[] = [];
  for (const k of ['runAsUser', 'runAsGroup']) errs.push(...validateNonNegativeInt(sc[k], `${path}.${k}`));
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false)
    errs.push(fieldErr.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  if (sc.procMount !== undefined) errs.push(...validateEnum(sc.procMount, `${path}.procMount`, ['Default', 'Unmasked']));
  return errs;
}

/** One container; `volumes` maps pod volume names to their sources. */
export function validateContainer(c: any, path: string, kind: ContainerKind, volumes: Map<string, any>): FieldError[] {
  if (!isObject(c)) return [fieldErr.typeInvalid(path, c, 'must be an object')];
  const errs: FieldError[] = [];
  if (!c.name) errs.push(fieldErr.required(`${path}.name`));
  else errs.push(...validateDNS1123Label(String(c.name), `${path}.name`));
  if (!c.image) errs.push(fieldErr.required(`${path}.image`));
  errs.push(...validateEnum(c.terminationMessagePolicy, `${path}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validateEnum(c.imagePullPolicy, `${path}.imagePullPolicy`, PULL_POLICIES));
  if (kind === 'ephemeral') {
    if (asArray(c.ports).length) errs.push(fieldErr.forbidden(`${path}.ports`, 'cannot be set for an Ephemeral Container'));
    for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'])
      if (c[k]) errs.push(fieldErr.forbidden(`${path}.${k}`, 'cannot be set for an Ephemeral Container'));
  } else errs.push(...validatePorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`), ...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  errs.push(...validateVolumeMounts(c.volumeMounts, `${path}.volumeMounts`, volumes));
  errs.push(...validateResources(c.resources, `${path}.resources`));
  errs.push(...validateContainerSecurityContext(c.securityContext, `${path}.securityContext`));
  const restartable = kind === 'init' && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
    if (kind !== 'init') errs.push(fieldErr.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errs.push(fieldErr.notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (!c[k]) continue;
    if (kind === 'init' && !restartable) {
      errs.push(fieldErr.forbidden(`${path}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      continue;
    }
    errs.push(...validateProbe(c[k], `${path}.${k}`));
    if (k !== 'readinessProbe' && c[k].successThreshold !== undefined && c[k].successThreshold !== 1)
      errs.push(fieldErr.invalid(`${path}.${k}.successThreshold`, c[k].successThreshold, 'must be 1'));
  }
  if (isObject(c.lifecycle)) {
    if (kind === 'init' && !restartable) errs.push(fieldErr.forbidden(`${path}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'));
    else for (const k of ['postStart', 'preStop']) if (c.lifecycle[k]) errs.push(...validateHandler(c.lifecycle[k], `${path}.lifecycle.${k}`, 'handler'));
  }
  return errs;
}

/** A list of containers; `seen` carries names across regular, init and ephemeral lists. */
export function validateContainerList(list: unknown, path: string, kind: ContainerKind, volumes: Map<string, any>, seen: Set<string>): FieldError[] {
  if (list !== undefined && list !== null && !Array.isArray(list)) return [fieldErr.typeInvalid(path, list, 'must be a list')];
  const errs: FieldError[] = [];
  asArray(list).forEach((c: any, i) => {
    const ip = `${path}[${i}]`;
    errs.push(...validateContainer(c, ip, kind, volumes));
    if (c?.name) {
      if (seen.has(c.name)) errs.push(fieldErr.duplicate(`${ip}.name`, c.name));
      else seen.add(c.name);
    }
  });
  return errs;
}
