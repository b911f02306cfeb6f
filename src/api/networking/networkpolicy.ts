import type { FieldError, ResourceDef } from '../types.js';
import { fieldErr, validateLabelSelector } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { formatLabelSelector } from '../apps/selector.js';
import { CIDR_MSG, PORT_NUM_MSG, cidrContains, isValidPortNum, parseCIDR, portNameErrors } from './net.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

function validatePort(port: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port?.protocol != null && !PROTOCOLS.includes(port.protocol)) errs.push(fieldErr.notSupported(`${path}.protocol`, port.protocol, PROTOCOLS));
  const p = port?.port;
  if (p != null) {
    if (typeof p === 'number') {
      if (!isValidPortNum(p)) errs.push(fieldErr.invalid(`${path}.port`, p, PORT_NUM_MSG));
      if (port.endPort != null) {
        if (port.endPort < p) errs.push(fieldErr.invalid(`${path}.endPort`, p, 'must be greater than or equal to `port`'));
        if (!isValidPortNum(port.endPort)) errs.push(fieldErr.invalid(`${path}.endPort`, port.endPort, PORT_NUM_MSG));
      }
    } else {
      if (port.endPort != null) errs.push(fieldErr.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
      for (const m of portNameErrors(String(p))) errs.push(fieldErr.invalid(`${path}.port`, p, m));
    }
  } else if (port?.endPort != null) errs.push(fieldErr.invalid(`${path}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  return errs;
}

function validateIPBlock(ipb: any, path: string): FieldError[] {
  if (!ipb?.cidr) return [fieldErr.required(`${path}.cidr`)];
  const cidr = parseCIDR(ipb.cidr);
  if (!cidr) return [fieldErr.invalid(`${path}.cidr`, ipb.cidr, CIDR_MSG)];
  const errs: FieldError[] = [];
  (Array.isArray(ipb.except) ? ipb.except : []).forEach((e: string, i: number) => {
    const p = `${path}.except[${i}]`;
    const ex = parseCIDR(e);
    if (!ex) errs.push(fieldErr.invalid(p, e, CIDR_MSG));
    else if (!cidrContains(cidr, ex) || cidr.prefix >= ex.prefix) errs.push(fieldErr.invalid(p, e, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer?.podSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (peer?.namespaceSelector) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (peer?.ipBlock) {
    n++;
    errs.push(...validateIPBlock(peer.ipBlock, `${path}.ipBlock`));
  }
  if (n === 0) errs.push(fieldErr.required(path, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(fieldErr.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicySpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const errs = validateLabelSelector(s.podSelector, 'spec.podSelector');
  for (const [dir, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    (Array.isArray(s[dir]) ? s[dir] : []).forEach((rule: any, i: number) => {
      const p = `spec.${dir}[${i}]`;
      (Array.isArray(rule?.ports) ? rule.ports : []).forEach((port: any, j: number) => {
        errs.push(...validatePort(port, `${p}.ports[${j}]`));
      });
      (Array.isArray(rule?.[peers]) ? rule[peers] : []).forEach((peer: any, j: number) => {
        errs.push(...validatePeer(peer, `${p}.${peers}[${j}]`));
      });
    });
  }
  const types: unknown[] = Array.isArray(s.policyTypes) ? s.policyTypes : [];
  if (types.length > POLICY_TYPES.length) return [...errs, fieldErr.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes')];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t as string)) errs.push(fieldErr.notSupported(`spec.policyTypes[${i}]`, t, POLICY_TYPES));
  });
  return errs;
}

export const networkpolicies: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  namespaced: true,
  shortNames: ['netpol'],
  generation: true,
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.podSelector ??= {};
    // A policy without policyTypes is at least about ingress, and about egress when it has egress rules.
    if (!Array.isArray(spec.policyTypes) || !spec.policyTypes.length) {
      spec.policyTypes = ['Ingress'];
      if (Array.isArray(spec.egress) && spec.egress.length) spec.policyTypes.push('Egress');
    }
    for (const dir of ['ingress', 'egress'])
      for (const rule of Array.isArray(spec[dir]) ? spec[dir] : [])
        for (const port of Array.isArray(rule?.ports) ? rule.ports : []) if (port && typeof port === 'object') port.protocol ??= 'TCP';
  },
  prepareForCreate(obj) {
    obj.metadata!.generation = 1;
  },
  validate: (obj) => validateNetworkPolicySpec(obj.spec),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Pod-Selector', type: 'string', description: 'Selects the pods to which this NetworkPolicy object applies.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [o.metadata?.name, formatLabelSelector(o.spec?.podSelector ?? {}), age(o.metadata?.creationTimestamp, now)],
  },
};
