// Validation of Services (ValidateService / ValidateServiceUpdate), with Kubernetes' wording.
import type { FieldError, KObject } from '../types.js';
import { fieldErr, validateLabels } from '../validation.js';
import {
  IP_MSG,
  asArray,
  invalidStrings,
  isObject,
  isValidIP,
  isValidPortNum,
  tooMany,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validatePortNum,
  validatePortNumOrName,
  validateProtocol,
  validateQualifiedName,
} from './validate-helpers.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

export const isHeadless = (svc: KObject) => svc.spec?.clusterIP === 'None';

/** NodePort and LoadBalancer services, and ClusterIP services with external IPs, take outside traffic. */
export const externallyAccessible = (svc: KObject) =>
  svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer' || (svc.spec?.type === 'ClusterIP' && asArray(svc.spec?.externalIPs).length > 0);

/** How Go prints the key used to detect duplicate (port, protocol) pairs. */
function goServicePortKey(p: any): string {
  return `core.ServicePort{Name:"", Protocol:"${p?.protocol ?? ''}", AppProtocol:(*string)(nil), Port:${p?.port ?? 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validatePorts(svc: KObject): FieldError[] {
  const spec = svc.spec;
  const errs: FieldError[] = [];
  const ports = asArray(spec.ports);
  if (ports.length === 0 && !isHeadless(svc) && spec.type !== 'ExternalName') errs.push(fieldErr.required('spec.ports'));
  const names = new Set<string>();
  const pairs = new Set<string>();
  ports.forEach((p: any, i) => {
    const ip = `spec.ports[${i}]`;
    if (ports.length > 1 && !p?.name) errs.push(fieldErr.required(`${ip}.name`));
    else if (p?.name) {
      errs.push(...validateDNS1123Label(String(p.name), `${ip}.name`));
      if (names.has(p.name)) errs.push(fieldErr.duplicate(`${ip}.name`, p.name));
      else names.add(p.name);
    }
    errs.push(...validatePortNum(p?.port, `${ip}.port`));
    errs.push(...validateProtocol(p?.protocol, `${ip}.protocol`));
    errs.push(...validatePortNumOrName(p?.targetPort, `${ip}.targetPort`));
    if (p?.appProtocol) errs.push(...validateQualifiedName(p.appProtocol, `${ip}.appProtocol`));
    if (p?.nodePort) {
      if (spec.type === 'ClusterIP') errs.push(fieldErr.forbidden(`${ip}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (!isValidPortNum(p.nodePort)) errs.push(...validatePortNum(p.nodePort, `${ip}.nodePort`));
    }
    const key = `${p?.protocol}/${p?.port}`;
    if (pairs.has(key)) errs.push({ type: 'FieldValueDuplicate', field: ip, message: `Duplicate value: ${goServicePortKey(p)}` });
    pairs.add(key);
  });
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const used = new Set<string>();
    ports.forEach((p: any, i) => {
      if (!p?.nodePort) return;
      const key = `${p.protocol}/${p.nodePort}`;
      if (used.has(key)) errs.push(fieldErr.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
      used.add(key);
    });
  }
  return errs;
}

function validateClusterIPs(svc: KObject): FieldError[] {
  const spec = svc.spec;
  const errs: FieldError[] = [];
  const ips = asArray(spec.clusterIPs);
  if (ips.length > 2) errs.push(tooMany('spec.clusterIPs', ips.length, 2));
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) errs.push(invalidStrings('spec.clusterIPs', ips, 'element [0] must match clusterIP'));
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) errs.push(invalidStrings('spec.clusterIPs', ips, "'None' must be the first and only value"));
      return;
    }
    if (!isValidIP(ip)) errs.push(fieldErr.invalid(`spec.clusterIPs[${i}]`, ip, IP_MSG));
  });
  if (ips[0] === 'None' && spec.type !== 'ClusterIP')
    errs.push(fieldErr.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${spec.type} services`));
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
    errs.push(...validateEnum(spec.ipFamilyPolicy, 'spec.ipFamilyPolicy', IP_FAMILY_POLICIES));
  const families = asArray(spec.ipFamilies);
  if (families.length > 2) errs.push(tooMany('spec.ipFamilies', families.length, 2));
  families.forEach((f, i) => {
    errs.push(...validateEnum(f, `spec.ipFamilies[${i}]`, IP_FAMILIES));
    if (families.indexOf(f) !== i) errs.push(fieldErr.duplicate(`spec.ipFamilies[${i}]`, f));
  });
  if (spec.ipFamilyPolicy === 'SingleStack' && families.length > 1)
    errs.push(
      fieldErr.invalid(
        'spec.ipFamilies',
        families,
        'when multiple IP families are specified, `ipFamilyPolicy` must be set to "PreferDualStack" or "RequireDualStack"',
      ),
    );
  return errs;
}

/** ValidateService. */
export function validateService(svc: KObject): FieldError[] {
  const spec = svc.spec;
  if (!isObject(spec)) return [fieldErr.required('spec')];
  const errs: FieldError[] = [];
  errs.push(...validateEnum(spec.type, 'spec.type', SERVICE_TYPES));
  if (spec.type === 'ExternalName') {
    if (asArray(spec.clusterIPs).length || (spec.clusterIP && spec.clusterIP !== ''))
      errs.push(fieldErr.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (asArray(spec.ipFamilies).length) errs.push(fieldErr.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy) errs.push(fieldErr.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const name = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!name) errs.push(fieldErr.required('spec.externalName'));
    else errs.push(...validateDNS1123Subdomain(name, 'spec.externalName'));
  } else {
    errs.push(...validateClusterIPs(svc));
  }
  errs.push(...validatePorts(svc));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...validateEnum(spec.sessionAffinity, 'spec.sessionAffinity', ['ClientIP', 'None']));
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!(typeof t === 'number' && t > 0 && t <= 86400))
      errs.push(fieldErr.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t ?? 0, 'must be greater than 0 and less than 86400'));
  } else if (spec.sessionAffinityConfig) {
    errs.push(fieldErr.forbidden('spec.sessionAffinityConfig', `must not be set when session affinity is ${spec.sessionAffinity}`));
  }
  asArray(spec.externalIPs).forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(fieldErr.invalid(`spec.externalIPs[${i}]`, ip, IP_MSG));
  });
  if (spec.loadBalancerIP && spec.type === 'LoadBalancer' && !isValidIP(spec.loadBalancerIP))
    errs.push(fieldErr.invalid('spec.loadBalancerIP', spec.loadBalancerIP, IP_MSG));
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy)
      errs.push(fieldErr.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    errs.push(fieldErr.required('spec.externalTrafficPolicy'));
  } else {
    errs.push(...validateEnum(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', ['Cluster', 'Local']));
  }
  if (spec.internalTrafficPolicy !== undefined && spec.internalTrafficPolicy !== null)
    errs.push(...validateEnum(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', ['Cluster', 'Local']));
  else if (spec.type !== 'ExternalName') errs.push(fieldErr.required('spec.internalTrafficPolicy'));
  if (spec.healthCheckNodePort) {
    if (spec.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local')
      errs.push(
        fieldErr.invalid(
          'spec.healthCheckNodePort',
          spec.healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    else errs.push(...validatePortNum(spec.healthCheckNodePort, 'spec.healthCheckNodePort'));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && spec.type !== 'LoadBalancer')
    errs.push(fieldErr.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null))
    errs.push(fieldErr.required('spec.allocateLoadBalancerNodePorts'));
  if (spec.loadBalancerClass && spec.type !== 'LoadBalancer')
    errs.push(fieldErr.forbidden('spec.loadBalancerClass', "may only be used when service type is 'LoadBalancer'"));
  return errs;
}

/** ValidateServiceUpdate: the primary cluster IP cannot change once set. */
export function validateServiceUpdate(svc: KObject, old: KObject): FieldError[] {
  const spec = svc.spec ?? {};
  const oldSpec = old.spec ?? {};
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  if (isHeadless(svc) && isHeadless(old)) return [];
  const now = asArray(spec.clusterIPs);
  const before = asArray(oldSpec.clusterIPs);
  const errs: FieldError[] = [];
  if (now.length === before.length) {
    before.forEach((ip, i) => {
      if (ip !== now[i]) errs.push(invalidStrings(`spec.clusterIPs[${i}]`, now, 'may not change once set'));
    });
  } else if (before.length > now.length) {
    if (now.length === 0) errs.push(invalidStrings('spec.clusterIPs[0]', now, 'primary clusterIP can not be unset'));
    else if (now[0] !== before[0]) errs.push(invalidStrings('spec.clusterIPs[0]', now, 'may not change once set'));
    if (now.length === 1 && spec.ipFamilyPolicy !== 'SingleStack')
      errs.push(invalidStrings('spec.clusterIPs[0]', now, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
  } else if (before.length > 0 && now[0] !== before[0]) {
    errs.push(invalidStrings('spec.clusterIPs[0]', now, 'may not change once set'));
  }
  const fams = asArray(spec.ipFamilies);
  const oldFams = asArray(oldSpec.ipFamilies);
  if (oldFams.length && fams.length && fams[0] !== oldFams[0] && before.length)
    errs.push(fieldErr.invalid('spec.ipFamilies[0]', fams[0], 'may not change once set'));
  return errs;
}
