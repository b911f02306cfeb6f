import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, isDNS1035Label, isDNS1123Subdomain } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { invalidRaw } from '../apps/selector.js';
import { PORT_NUM_MSG, isValidPortNum, parseIP, portNameErrors } from './net.js';

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const WILDCARD = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const WILDCARD_MSG =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

function hostErrors(host: string, path: string): FieldError[] {
  if (host.includes('*')) {
    const msgs = host.length > 253 ? ['must be no more than 253 characters'] : [];
    if (!WILDCARD.test(host)) msgs.push(WILDCARD_MSG);
    return msgs.map((m) => fieldErr.invalid(path, host, m));
  }
  return isDNS1123Subdomain(host).map((m) => fieldErr.invalid(path, host, m));
}

export function validateIngressBackend(backend: any, path: string): FieldError[] {
  const b = backend ?? {};
  if (b.resource && b.service) return [fieldErr.invalid(path, '', 'cannot set both resource and service backends')];
  if (b.resource) {
    const errs: FieldError[] = [];
    if (!b.resource.kind) errs.push(fieldErr.required(`${path}.resource.kind`));
    if (!b.resource.name) errs.push(fieldErr.required(`${path}.resource.name`));
    if (b.resource.apiGroup)
      for (const m of isDNS1123Subdomain(b.resource.apiGroup)) errs.push(fieldErr.invalid(`${path}.resource.apiGroup`, b.resource.apiGroup, m));
    return errs;
  }
  if (!b.service) return [fieldErr.invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const svc = b.service;
  if (!svc.name) errs.push(fieldErr.required(`${path}.service.name`));
  else for (const m of isDNS1035Label(svc.name)) errs.push(fieldErr.invalid(`${path}.service.name`, svc.name, m));
  const portName = svc.port?.name ?? '';
  const portNumber = svc.port?.number ?? 0;
  if (portName && portNumber) errs.push(fieldErr.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of portNameErrors(portName)) errs.push(fieldErr.invalid(`${path}.service.port.name`, portName, m));
  else if (portNumber) {
    if (!isValidPortNum(portNumber)) errs.push(fieldErr.invalid(`${path}.service.port.number`, portNumber, PORT_NUM_MSG));
  } else errs.push(fieldErr.required(path, 'port name or number is required'));
  return errs;
}

function validateHTTPPath(p: any, path: string): FieldError[] {
  if (!p?.pathType) return [fieldErr.required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value: string = typeof p.path === 'string' ? p.path : '';
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(fieldErr.invalid(`${path}.path`, value, 'must be an absolute path'));
      if (value) {
        for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(fieldErr.invalid(`${path}.path`, value, `must not contain '${seq}'`));
        for (const suf of INVALID_PATH_SUFFIXES) if (value.endsWith(suf)) errs.push(fieldErr.invalid(`${path}.path`, value, `cannot end with '${suf}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (value && !value.startsWith('/')) errs.push(fieldErr.invalid(`${path}.path`, value, 'must be an absolute path'));
      break;
    default:
      errs.push(fieldErr.notSupported(`${path}.pathType`, p.pathType, PATH_TYPES));
  }
  errs.push(...validateIngressBackend(p.backend, `${path}.backend`));
  return errs;
}

export function validateIngressSpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  const rules: any[] = Array.isArray(s.rules) ? s.rules : [];
  if (!rules.length && !s.defaultBackend)
    errs.push(
      invalidRaw('spec', s.rules ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'),
    );
  if (s.defaultBackend) errs.push(...validateIngressBackend(s.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const p = `spec.rules[${i}]`;
    const host = typeof r?.host === 'string' ? r.host : '';
    if (host) {
      if (parseIP(host)) errs.push(fieldErr.invalid(`${p}.host`, host, 'must be a DNS name, not an IP address'));
      errs.push(...hostErrors(host, `${p}.host`));
    }
    if (r?.http) {
      const paths: any[] = Array.isArray(r.http.paths) ? r.http.paths : [];
      if (!paths.length) errs.push(fieldErr.required(`${p}.http.paths`));
      paths.forEach((hp, j) => {
        errs.push(...validateHTTPPath(hp, `${p}.http.paths[${j}]`));
      });
    }
  });
  (Array.isArray(s.tls) ? s.tls : []).forEach((t: any, i: number) => {
    (Array.isArray(t?.hosts) ? t.hosts : []).forEach((h: string, j: number) => {
      errs.push(...hostErrors(String(h), `spec.tls[${i}].hosts[${j}]`));
    });
    if (t?.secretName) for (const m of isDNS1123Subdomain(t.secretName)) errs.push(fieldErr.invalid(`spec.tls[${i}].secretName`, t.secretName, m));
  });
  if (s.ingressClassName != null)
    for (const m of isDNS1123Subdomain(String(s.ingressClassName))) errs.push(fieldErr.invalid('spec.ingressClassName', s.ingressClassName, m));
  return errs;
}

export function validateIngress(obj: KObject): FieldError[] {
  const errs = validateIngressSpec(obj.spec);
  const annotation = obj.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const cls = obj.spec?.ingressClassName;
  if (annotation !== undefined && cls != null && annotation !== cls)
    errs.push(fieldErr.invalid(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
  return errs;
}

function hostsCell(rules: any[] | undefined): string {
  const rs = Array.isArray(rules) ? rules : [];
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const r of rs) {
    if (list.length === max) more = true;
    if (!more && r?.host) list.push(r.host);
  }
  if (!list.length) return '*';
  return more ? `${list.join(',')} + ${rs.length - max} more...` : list.join(',');
}

/** Load-balancer addresses, sorted and de-duplicated (never cut: the server always prints wide). */
function addressCell(status: any): string {
  const set = new Set<string>();
  for (const i of status?.loadBalancer?.ingress ?? []) {
    if (i?.ip) set.add(i.ip);
    else if (i?.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

export const ingresses: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  singular: 'ingress',
  namespaced: true,
  shortNames: ['ing'],
  subresources: { status: true },
  generation: true,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
    obj.metadata!.generation = 1;
  },
  validate: validateIngress,
  validateStatusUpdate(obj) {
    const errs: FieldError[] = [];
    (obj.status?.loadBalancer?.ingress ?? []).forEach((i: any, n: number) => {
      if (i?.ip && !parseIP(i.ip)) errs.push(fieldErr.invalid(`status.loadBalancer.ingress[${n}].ip`, i.ip, 'must be a valid IP address'));
      if (i?.hostname) {
        for (const m of isDNS1123Subdomain(i.hostname)) errs.push(fieldErr.invalid(`status.loadBalancer.ingress[${n}].hostname`, i.hostname, m));
        if (parseIP(i.hostname)) errs.push(fieldErr.invalid(`status.loadBalancer.ingress[${n}].hostname`, i.hostname, 'must be a DNS name, not an IP address'));
      }
    });
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Class', type: 'string', description: 'The name of the IngressClass resource that should be used for additional configuration', priority: 0 },
      { name: 'Hosts', type: 'string', description: 'Hosts that incoming requests are matched against before the ingress rule', priority: 0 },
      { name: 'Address', type: 'string', description: 'Address is a list containing ingress points for the load-balancer', priority: 0 },
      { name: 'Ports', type: 'string', description: 'Ports of TLS configurations that open', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [
      o.metadata?.name,
      o.spec?.ingressClassName ?? '<none>',
      hostsCell(o.spec?.rules),
      addressCell(o.status),
      Array.isArray(o.spec?.tls) && o.spec.tls.length ? '80, 443' : '80',
      age(o.metadata?.creationTimestamp, now),
    ],
  },
};
