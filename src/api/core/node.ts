import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr, isLabelValue, jsonEqual } from '../validation.js';
import {
  IP_MSG,
  asArray,
  duplicateWithDetail,
  invalidStrings,
  isObject,
  isValidCIDR,
  isValidIP,
  tooMany,
  validateEnum,
  validateQualifiedName,
  validateResourceQuantity,
} from './validate-helpers.js';
import { clone } from '../../util/clone.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

/** ValidateTaints: unique by (key, effect), with label-value values. */
export function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArray(taints).forEach((t: any, i) => {
    const ip = `${path}[${i}]`;
    errs.push(...validateQualifiedName(t?.key ?? '', `${ip}.key`));
    if (t?.value) for (const m of isLabelValue(String(t.value))) errs.push(fieldErr.invalid(`${ip}.value`, t.value, m));
    errs.push(...validateEnum(t?.effect, `${ip}.effect`, TAINT_EFFECTS));
    const key = `${t?.effect}\u0000${t?.key}`;
    if (seen.has(key)) {
      errs.push(
        duplicateWithDetail(
          ip,
          `core.Taint{Key:${JSON.stringify(t?.key ?? '')}, Value:${JSON.stringify(t?.value ?? '')}, Effect:${JSON.stringify(t?.effect ?? '')}, TimeAdded:<nil>}`,
          'taints must be unique by key and effect pair',
        ),
      );
      return;
    }
    seen.add(key);
  });
  return errs;
}

function validateNodeStatus(node: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const st = node.status ?? {};
  for (const k of ['capacity', 'allocatable'] as const)
    for (const [name, q] of Object.entries(isObject(st[k]) ? st[k] : {})) errs.push(...validateResourceQuantity(name, q, `status.${k}[${name}]`));
  asArray(st.addresses).forEach((a: any, i) => {
    errs.push(...validateEnum(a?.type, `status.addresses[${i}].type`, ADDRESS_TYPES));
    if ((a?.type === 'InternalIP' || a?.type === 'ExternalIP') && !isValidIP(a?.address))
      errs.push(fieldErr.invalid(`status.addresses[${i}].address`, a?.address ?? '', IP_MSG));
  });
  return errs;
}

export function validateNode(node: KObject): FieldError[] {
  const spec = node.spec ?? {};
  const errs = validateTaints(spec.taints, 'spec.taints');
  const cidrs = asArray(spec.podCIDRs);
  if (cidrs.length > 2) errs.push(tooMany('spec.podCIDRs', cidrs.length, 2));
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(fieldErr.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (cidrs.length === 2 && String(cidrs[0]).includes(':') === String(cidrs[1]).includes(':'))
    errs.push(invalidStrings('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  if (spec.podCIDR && cidrs.length && cidrs[0] !== spec.podCIDR) errs.push(invalidStrings('spec.podCIDRs', cidrs, 'element [0] must match podCIDR'));
  errs.push(...validateNodeStatus(node));
  return errs;
}

export function validateNodeUpdate(node: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = node.spec ?? {};
  const oldSpec = old.spec ?? {};
  const oldCIDRs = asArray(oldSpec.podCIDRs);
  if (oldCIDRs.length && !jsonEqual(asArray(spec.podCIDRs), oldCIDRs))
    errs.push(fieldErr.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  if (oldSpec.providerID && spec.providerID !== oldSpec.providerID)
    errs.push(fieldErr.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  if (oldSpec.configSource && !jsonEqual(spec.configSource, oldSpec.configSource)) errs.push(fieldErr.forbidden('spec.configSource', 'update is not allowed'));
  return errs;
}

/** STATUS of a node: Ready / NotReady / Unknown, with ",SchedulingDisabled" when cordoned. */
export function nodeStatusCell(node: KObject): string {
  const status: string[] = [];
  const ready = asArray(node.status?.conditions).find((c: any) => c?.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** ROLES: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted and unique. */
export function nodeRoles(node: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

const address = (node: KObject, type: string) => asArray(node.status?.addresses).find((a: any) => a?.type === type)?.address ?? '<none>';
const col = (name: string, description: string, priority = 0) => ({ name, type: 'string' as const, description, priority });

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  subresources: { status: true },
  defaults(node) {
    const st = node.status;
    if (isObject(st) && isObject(st.capacity) && !isObject(st.allocatable)) st.allocatable = clone(st.capacity);
    const spec = node.spec;
    if (isObject(spec)) {
      if (spec.podCIDR && !asArray(spec.podCIDRs).length) spec.podCIDRs = [spec.podCIDR];
      else if (asArray(spec.podCIDRs).length && !spec.podCIDR) spec.podCIDR = spec.podCIDRs[0];
    }
  },
  validate: validateNode,
  validateUpdate: validateNodeUpdate,
  validateStatusUpdate: (node, old) => [...validateNode(node), ...validateNodeUpdate(node, old)],
  table: {
    columns: [
      NAME_COLUMN,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE_COLUMN,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'List of addresses reachable to the node.', 1),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    row(node, now) {
      const info = node.status?.nodeInfo ?? {};
      return [
        node.metadata?.name,
        nodeStatusCell(node),
        nodeRoles(node),
        age(node.metadata?.creationTimestamp, now),
        info.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ];
    },
  },
  fieldSelectors: {
    'spec.unschedulable': (n) => String(n.spec?.unschedulable === true),
  },
};
