import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr } from '../validation.js';
import {
  IP_MSG,
  asArray,
  isObject,
  isValidIP,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateNonSpecialIP,
  validatePortNum,
  validateProtocol,
  validateQualifiedName,
} from './validate-helpers.js';

function validateAddress(a: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isValidIP(a?.ip)) errs.push(fieldErr.invalid(`${path}.ip`, a?.ip ?? '', IP_MSG));
  else errs.push(...validateNonSpecialIP(a.ip, `${path}.ip`));
  if (a?.hostname) errs.push(...validateDNS1123Label(a.hostname, `${path}.hostname`));
  if (a?.nodeName) errs.push(...validateDNS1123Subdomain(a.nodeName, `${path}.nodeName`));
  return errs;
}

export function validateEndpoints(ep: KObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(ep.subsets).forEach((ss: any, i) => {
    const ip = `subsets[${i}]`;
    if (!asArray(ss?.addresses).length && !asArray(ss?.notReadyAddresses).length)
      errs.push(fieldErr.required(ip, 'must specify `addresses` or `notReadyAddresses`'));
    asArray(ss?.addresses).forEach((a, j) => {
      errs.push(...validateAddress(a, `${ip}.addresses[${j}]`));
    });
    asArray(ss?.notReadyAddresses).forEach((a, j) => {
      errs.push(...validateAddress(a, `${ip}.notReadyAddresses[${j}]`));
    });
    const ports = asArray(ss?.ports);
    ports.forEach((p: any, j) => {
      const pp = `${ip}.ports[${j}]`;
      if (ports.length > 1 && !p?.name) errs.push(fieldErr.required(`${pp}.name`));
      else if (p?.name) errs.push(...validateDNS1123Label(p.name, `${pp}.name`));
      errs.push(...validatePortNum(p?.port, `${pp}.port`));
      errs.push(...validateProtocol(p?.protocol, `${pp}.protocol`));
      if (p?.appProtocol) errs.push(...validateQualifiedName(p.appProtocol, `${pp}.appProtocol`));
    });
  });
  return errs;
}

/** The ENDPOINTS cell: up to three ip:port pairs, then "+ N more...". */
export function formatEndpoints(ep: KObject): string {
  const subsets = asArray(ep.subsets);
  if (!subsets.length) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  const add = (s: string) => {
    if (list.length === max) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addrs = asArray(ss?.addresses);
    const ports = asArray(ss?.ports);
    if (!ports.length) {
      count += addrs.length;
      for (const a of addrs) {
        add(a?.ip);
        if (more) break;
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        const host = String(a?.ip ?? '').includes(':') ? `[${a.ip}]` : a?.ip;
        add(`${host}:${p?.port}`);
        if (more) break;
      }
    }
  }
  const s = list.join(',');
  return more ? `${s} + ${count - max} more...` : s;
}

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  allowCreateOnUpdate: true,
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  defaults(ep) {
    for (const ss of asArray(ep.subsets)) for (const p of asArray(ss?.ports)) if (isObject(p) && !p.protocol) p.protocol = 'TCP';
  },
  validate: validateEndpoints,
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Endpoints', type: 'string', description: 'The set of all endpoints is the union of all subsets.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (ep, now) => [ep.metadata?.name, formatEndpoints(ep), age(ep.metadata?.creationTimestamp, now)],
  },
};
