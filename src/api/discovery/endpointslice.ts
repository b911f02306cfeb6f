import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, immutable, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, jsonEqual, validateLabels } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { parseIP, specialIPMessage } from '../networking/net.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

function validateAddress(address: unknown, addressType: string, path: string): FieldError[] {
  if (addressType === 'IPv4' || addressType === 'IPv6') {
    const ip = parseIP(address);
    if (!ip || `IPv${ip.family}` !== addressType) return [fieldErr.invalid(path, address, `must be a valid ${addressType} address`)];
    const special = specialIPMessage(ip);
    return special ? [fieldErr.invalid(path, address, special)] : [];
  }
  if (addressType === 'FQDN') {
    const name = typeof address === 'string' ? address.replace(/\.$/, '') : '';
    if (!name) return [fieldErr.required(path)];
    const errs = isDNS1123Subdomain(name).map((m) => fieldErr.invalid(path, address, m));
    if (name.split('.').length < 2) errs.push(fieldErr.invalid(path, address, 'should be a domain with at least two segments separated by dots'));
    return errs;
  }
  return [];
}

function validateEndpoints(endpoints: unknown, addressType: string): FieldError[] {
  if (!Array.isArray(endpoints)) return [];
  if (endpoints.length > MAX_ENDPOINTS) return [tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((ep: any, i: number) => {
    const p = `endpoints[${i}]`;
    const addrs: unknown[] = Array.isArray(ep?.addresses) ? ep.addresses : [];
    if (!addrs.length) errs.push(fieldErr.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(`${p}.addresses`, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => {
      errs.push(...validateAddress(a, addressType, `${p}.addresses[${j}]`));
    });
    if (ep?.nodeName != null) for (const m of isDNS1123Subdomain(String(ep.nodeName))) errs.push(fieldErr.invalid(`${p}.nodeName`, ep.nodeName, m));
    const topo = ep?.deprecatedTopology;
    if (topo && Object.keys(topo).length > MAX_TOPOLOGY_LABELS) errs.push(tooMany(`${p}.deprecatedTopology`, Object.keys(topo).length, MAX_TOPOLOGY_LABELS));
    errs.push(...validateLabels(topo, `${p}.deprecatedTopology`));
    if (ep?.hostname != null) for (const m of isDNS1123Label(String(ep.hostname))) errs.push(fieldErr.invalid(`${p}.hostname`, ep.hostname, m));
  });
  return errs;
}

function validatePorts(ports: unknown): FieldError[] {
  if (!Array.isArray(ports)) return [];
  if (ports.length > MAX_PORTS) return [tooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port: any, i: number) => {
    const p = `ports[${i}]`;
    const name = String(port?.name ?? '');
    if (name) for (const m of isDNS1123Label(name)) errs.push(fieldErr.invalid(`${p}.name`, name, m));
    if (names.has(name)) errs.push(fieldErr.duplicate(`${p}.name`, name));
    names.add(name);
    if (port?.protocol == null) errs.push(fieldErr.required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(fieldErr.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (port?.appProtocol != null)
      for (const m of isQualifiedName(String(port.appProtocol))) errs.push(fieldErr.invalid(`${p}.appProtocol`, port.appProtocol, m));
  });
  return errs;
}

export function validateEndpointSlice(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const at = obj.addressType;
  errs.push(...validateEndpoints(obj.endpoints, at));
  errs.push(...validatePorts(obj.ports));
  if (!at) errs.push(fieldErr.required('addressType'));
  else if (!ADDRESS_TYPES.includes(at)) errs.push(fieldErr.notSupported('addressType', at, ADDRESS_TYPES));
  return errs;
}

/** Up to three items and `+ N more...`, as the printers list ports and endpoints. */
function listWithMore(items: string[], count: number, max = 3): string {
  const shown = items.slice(0, max).join(',');
  if (count > max) return `${shown} + ${count - max} more...`;
  return shown || '<unset>';
}

function portsCell(obj: KObject): string {
  const ports: any[] = Array.isArray(obj.ports) ? obj.ports : [];
  return listWithMore(
    ports.map((p) => (p?.port != null ? String(p.port) : p?.name != null ? String(p.name) : '*')),
    ports.length,
  );
}

function endpointsCell(obj: KObject): string {
  const addrs: string[] = (Array.isArray(obj.endpoints) ? obj.endpoints : []).flatMap((e: any) => (Array.isArray(e?.addresses) ? e.addresses : []));
  return listWithMore(addrs, addrs.length);
}

export const endpointslices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  generation: true,
  defaults(obj) {
    for (const p of Array.isArray(obj.ports) ? obj.ports : []) {
      if (!p || typeof p !== 'object') continue;
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  },
  prepareForCreate(obj) {
    obj.metadata!.generation = 1;
  },
  prepareForUpdate(obj, old) {
    // Consumers (the service proxy) watch generations; label changes move slices between services.
    if (!jsonEqual(obj.metadata?.labels ?? {}, old.metadata?.labels ?? {})) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
  },
  validate: validateEndpointSlice,
  validateUpdate: (obj, old) => immutable(obj.addressType, old.addressType, 'addressType'),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'AddressType', type: 'string', description: 'addressType specifies the type of address carried by this EndpointSlice.', priority: 0 },
      { name: 'Ports', type: 'string', description: 'ports specifies the list of network ports exposed by each endpoint in this slice.', priority: 0 },
      { name: 'Endpoints', type: 'string', description: 'endpoints is a list of unique endpoints in this slice.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [o.metadata?.name, o.addressType ?? '', portsCell(o), endpointsCell(o), age(o.metadata?.creationTimestamp, now)],
  },
};
