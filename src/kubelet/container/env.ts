// A container's environment as the kubelet computes it (makeEnvironmentVariables): envFrom
// sources first, then `env` in order — each value may refer to variables defined before
// it and to service variables with $(VAR) — then the service-link variables that nothing
// overrode. Errors are the kubelet's, word for word: they become the container's
// CreateContainerConfigError message.
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { containerResourceValue, podFieldValue, type Allocatable, type PodAddresses } from './downward.js';
import { expand, mappingFor } from './expansion.js';
import { serviceEnvVars } from './service-env.js';

export interface EnvVar {
  key: string;
  value: string;
}

/**
 * Where the values come from; the agent backs it with informers or the API client.
 * `undefined` means "not found" (any other failure should throw).
 */
export interface EnvSources {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> | ConfigMap | undefined;
  secret(namespace: string, name: string): Promise<Secret | undefined> | Secret | undefined;
  /** Every Service in the namespace. */
  services(namespace: string): Promise<Service[]> | Service[];
}

export interface EnvOptions extends PodAddresses {
  sources: EnvSources;
  /** Node allocatable: resourceFieldRef limits that the container leaves unset report these. */
  allocatable?: Allocatable;
  /** The namespace and names of the apiserver's own Services, whose variables every pod gets. */
  masterServices?: { namespace: string; names: string[] };
  /** Told about envFrom keys that were skipped as invalid names (the kubelet records an event). */
  onInvalidKeys?(message: string): void;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** Secret data as the API holds it (base64) decoded to text. */
export function secretValue(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

async function serviceEnv(pod: Pod, opts: EnvOptions): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const master = opts.masterServices ?? { namespace: 'default', names: ['kubernetes'] };
  const chosen = new Map<string, Service>();
  // Master services first: a same-named service in the pod's namespace must not shadow them.
  if (master.names.length) {
    for (const s of await opts.sources.services(master.namespace)) if (master.names.includes(s.metadata?.name ?? '')) chosen.set(s.metadata!.name!, s);
  }
  if (pod.spec?.enableServiceLinks !== false) {
    for (const s of await opts.sources.services(ns)) {
      const name = s.metadata?.name ?? '';
      if (!chosen.has(name)) chosen.set(name, s);
    }
  }
  return new Map(serviceEnvVars([...chosen.values()]).map((e) => [e.key, e.value]));
}

function notFound(kind: 'configmap' | 'secret', name: string): Error {
  return new Error(`${kind} "${name}" not found`);
}

/** The container's environment; throws (with the kubelet's message) what it would report as CreateContainerConfigError. */
export async function makeEnvironment(pod: Pod, container: Container, opts: EnvOptions): Promise<EnvVar[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getConfigMap = async (name: string) => {
    if (!configMaps.has(name)) configMaps.set(name, await opts.sources.configMap(ns, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string) => {
    if (!secrets.has(name)) secrets.set(name, await opts.sources.secret(ns, name));
    return secrets.get(name);
  };
  const services = await serviceEnv(pod, opts);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string>;
    let what: string;
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw notFound('configmap', name);
      }
      data = cm.data ?? {};
      what = `configMap ${ns}/${name}`;
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const s = await getSecret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw notFound('secret', name);
      }
      data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, secretValue(v)]));
      what = `secret ${ns}/${name}`;
    } else continue;
    const invalid: string[] = [];
    for (const [k, v] of Object.entries(data)) {
      const key = prefix + k;
      if (!isEnvVarName(key)) {
        invalid.push(key);
        continue;
      }
      env.set(key, v);
    }
    if (invalid.length) {
      invalid.sort();
      opts.onInvalidKeys?.(`Keys [${invalid.join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`);
    }
  }

  const mapping = mappingFor(env, services);
  for (const e of container.env ?? []) {
    let value: string | undefined = e.value ?? '';
    const from = e.valueFrom;
    if (value !== '') value = expand(value, mapping);
    else if (from?.fieldRef) {
      value = podFieldValue(pod, from.fieldRef.fieldPath, opts);
    } else if (from?.resourceFieldRef) {
      value = containerResourceValue(from.resourceFieldRef, pod, container, opts.allocatable);
    } else if (from?.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = await getConfigMap(name);
      if (!cm) {
        if (optional) continue;
        throw notFound('configmap', name);
      }
      value = cm.data?.[key];
      if (value === undefined) {
        if (optional) continue;
        throw new Error(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
    } else if (from?.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const s = await getSecret(name);
      if (!s) {
        if (optional) continue;
        throw notFound('secret', name);
      }
      const raw = s.data?.[key];
      if (raw === undefined) {
        if (optional) continue;
        throw new Error(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      value = secretValue(raw);
    }
    env.set(e.name, value);
  }

  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return [...env].map(([key, value]) => ({ key, value }));
}
