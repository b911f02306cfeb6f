import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr, isDNS1035Label, jsonEqual } from '../validation.js';
import { externallyAccessible, isHeadless, validateService, validateServiceUpdate } from './service-validation.js';
import { IP_MSG, asArray, formatLabelsSorted, ipFamilyOf, isObject, isValidIP, validateDNS1123Subdomain } from './validate-helpers.js';

const needsClusterIP = (s: KObject) => s.spec?.type !== 'ExternalName';
const needsNodePort = (s: KObject) => s.spec?.type === 'NodePort' || (s.spec?.type === 'LoadBalancer' && s.spec?.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckNodePort = (s: KObject) => s.spec?.type === 'LoadBalancer' && s.spec?.externalTrafficPolicy === 'Local';

/** SetDefaults_Service, plus the v1 clusterIP/clusterIPs sync and the IP family fields the allocator would fill. */
export function defaultService(svc: KObject): void {
  if (!isObject(svc.spec)) svc.spec = {};
  const spec = svc.spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && typeof spec.sessionAffinityConfig?.clientIP?.timeoutSeconds !== 'number')
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of asArray(spec.ports)) {
    if (!isObject(p)) continue;
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if ((spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) && ['ClusterIP', 'NodePort', 'LoadBalancer'].includes(spec.type))
    spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null))
    spec.allocateLoadBalancerNodePorts = true;
  if (spec.clusterIP && !asArray(spec.clusterIPs).length) spec.clusterIPs = [spec.clusterIP];
  else if (asArray(spec.clusterIPs).length && !spec.clusterIP) spec.clusterIP = spec.clusterIPs[0];
  if (spec.type !== 'ExternalName') {
    const selectorless = !Object.keys(spec.selector ?? {}).length;
    const fromIPs = asArray(spec.clusterIPs).filter(isValidIP).map(ipFamilyOf);
    if (!spec.ipFamilyPolicy) {
      if (asArray(spec.ipFamilies).length === 2 || fromIPs.length === 2) spec.ipFamilyPolicy = 'RequireDualStack';
      else spec.ipFamilyPolicy = isHeadless(svc) && selectorless ? 'RequireDualStack' : 'SingleStack';
    }
    if (!asArray(spec.ipFamilies).length) spec.ipFamilies = fromIPs.length ? fromIPs : ['IPv4'];
    if (isHeadless(svc) && selectorless && spec.ipFamilyPolicy !== 'SingleStack' && spec.ipFamilies.length === 1)
      spec.ipFamilies = [spec.ipFamilies[0], spec.ipFamilies[0] === 'IPv4' ? 'IPv6' : 'IPv4'];
  }
  if (spec.type === 'LoadBalancer')
    for (const ing of asArray(svc.status?.loadBalancer?.ingress)) if (isObject(ing) && ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
}

/** What the Service REST storage keeps from the stored object when an update leaves allocated values out. */
function patchAllocatedValues(svc: KObject, old: KObject): void {
  const spec = svc.spec;
  const oldSpec = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!asArray(spec.clusterIPs).length && oldSpec.clusterIPs) spec.clusterIPs = oldSpec.clusterIPs;
    if (spec.clusterIP === undefined) delete spec.clusterIP;
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const newPorts = new Set(
      asArray(spec.ports)
        .map((p: any) => p?.nodePort)
        .filter(Boolean),
    );
    const oldByName = new Map<string, number>(asArray(oldSpec.ports).map((p: any) => [p?.name ?? '', p?.nodePort]));
    for (const p of asArray(spec.ports)) {
      if (!isObject(p) || p.nodePort) continue;
      const v = oldByName.get(p.name ?? '');
      if (v && !newPorts.has(v)) p.nodePort = v;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(svc) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort)
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
}

/** The strategy's dropTypeDependentFields: clear what the old type needed and the new one may not have. */
function dropTypeDependentFields(svc: KObject, old: KObject): void {
  const spec = svc.spec;
  const oldSpec = old.spec ?? {};
  const same = (k: string) => jsonEqual(spec[k], oldSpec[k]);
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (same('clusterIP') && same('clusterIPs')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same('ipFamilies')) delete spec.ipFamilies;
    if (same('ipFamilyPolicy')) delete spec.ipFamilyPolicy;
  }
  if (
    needsNodePort(old) &&
    !needsNodePort(svc) &&
    jsonEqual(
      asArray(spec.ports).map((p: any) => p?.nodePort),
      asArray(oldSpec.ports).map((p: any) => p?.nodePort),
    )
  )
    for (const p of asArray(spec.ports)) if (isObject(p)) delete p.nodePort;
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(svc) && same('healthCheckNodePort')) delete spec.healthCheckNodePort;
  if (old.spec?.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (same('allocateLoadBalancerNodePorts')) delete spec.allocateLoadBalancerNodePorts;
    if (same('loadBalancerClass')) delete spec.loadBalancerClass;
  }
  if (!externallyAccessible(svc) && same('externalTrafficPolicy')) delete spec.externalTrafficPolicy;
  if (spec.type === 'ExternalName' && same('internalTrafficPolicy')) delete spec.internalTrafficPolicy;
}

function validateServiceStatus(svc: KObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(svc.status?.loadBalancer?.ingress).forEach((ing: any, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (ing?.ip && !isValidIP(ing.ip)) errs.push(fieldErr.invalid(`${p}.ip`, ing.ip, IP_MSG));
    if (ing?.hostname) {
      errs.push(...validateDNS1123Subdomain(ing.hostname, `${p}.hostname`));
      if (isValidIP(ing.hostname)) errs.push(fieldErr.invalid(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
    if (ing?.ipMode && !ing?.ip) errs.push(fieldErr.forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    if (ing?.ip && ing?.ipMode && !['VIP', 'Proxy'].includes(ing.ipMode)) errs.push(fieldErr.notSupported(`${p}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
  });
  return errs;
}

/** EXTERNAL-IP as kubectl shows it (getServiceExternalIP, wide). */
export function serviceExternalIP(svc: KObject): string {
  const spec = svc.spec ?? {};
  const external = asArray(spec.externalIPs);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [
        ...new Set(
          asArray(svc.status?.loadBalancer?.ingress)
            .map((i: any) => i?.ip || i?.hostname)
            .filter(Boolean),
        ),
      ].sort();
      if (external.length) return [...lb, ...external].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

/** PORT(S): 80/TCP, 80:30080/TCP, comma-joined. */
export function servicePorts(svc: KObject): string {
  const s = asArray(svc.spec?.ports)
    .map((p: any) => (p?.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p?.port}/${p?.protocol ?? ''}`))
    .join(',');
  return s || '<none>';
}

const col = (name: string, description: string, priority = 0) => ({ name, type: 'string' as const, description, priority });

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  subresources: { status: true },
  validateName: isDNS1035Label,
  defaults: defaultService,
  prepareForCreate(svc) {
    svc.status = { loadBalancer: {} };
  },
  prepareForUpdate(svc, old) {
    patchAllocatedValues(svc, old);
    dropTypeDependentFields(svc, old);
  },
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  validateStatusUpdate: validateServiceStatus,
  table: {
    columns: [
      NAME_COLUMN,
      col('Type', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      AGE_COLUMN,
      col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    row: (svc, now) => [
      svc.metadata?.name,
      svc.spec?.type ?? '',
      asArray(svc.spec?.clusterIPs)[0] ?? '<none>',
      serviceExternalIP(svc),
      servicePorts(svc),
      age(svc.metadata?.creationTimestamp, now),
      formatLabelsSorted(svc.spec?.selector),
    ],
  },
  fieldSelectors: {
    'spec.clusterIP': (s) => s.spec?.clusterIP ?? '',
    'spec.type': (s) => s.spec?.type ?? '',
  },
};
