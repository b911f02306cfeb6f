// The EncryptionConfiguration file of kube-apiserver's --encryption-provider-config
// (apiserver.config.k8s.io/v1), read and checked as Kubernetes checks it: every problem is
// reported with its field path, and a server given a bad file refuses to start.
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';

export type ProviderKind = 'aescbc' | 'aesgcm' | 'secretbox' | 'identity';

export interface EncryptionKey {
  name: string;
  /** The raw key bytes (the file holds them base64-encoded). */
  secret: Buffer;
}

export interface ProviderConfig {
  kind: ProviderKind;
  /** Empty for identity. The first key encrypts; every key decrypts. */
  keys: EncryptionKey[];
}

export interface ResourceRule {
  /** As written: `secrets`, `deployments.apps`, `*.apps`, `*.` (core group), `*.*`. */
  resources: string[];
  /** The first provider writes; all of them read. */
  providers: ProviderConfig[];
}

export interface EncryptionConfig {
  rules: ResourceRule[];
}

const KEY_SIZES: Record<Exclude<ProviderKind, 'identity'>, number[]> = { aescbc: [16, 24, 32], aesgcm: [16, 24, 32], secretbox: [32] };
const KINDS: ProviderKind[] = ['aescbc', 'aesgcm', 'secretbox', 'identity'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class EncryptionConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`error while parsing encryption provider configuration file ${JSON.stringify(file)}: ${problems.join(', ')}`);
    this.name = 'EncryptionConfigError';
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function required(path: string, msg: string): string {
  return `${path}: Required value: ${msg}`;
}

function invalid(path: string, value: string, msg: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${msg}`;
}

function parseKeys(raw: unknown, path: string, sizes: number[], problems: string[]): EncryptionKey[] {
  const list = Array.isArray(raw) ? raw : [];
  if (!list.length) {
    problems.push(required(path, 'at least one keys is required'));
    return [];
  }
  const keys: EncryptionKey[] = [];
  list.forEach((k, i) => {
    const at = `${path}[${i}]`;
    const rec = asRecord(k) ?? {};
    const name = typeof rec.name === 'string' ? rec.name : '';
    const secret = typeof rec.secret === 'string' ? rec.secret : '';
    if (!name) problems.push(required(`${at}.name`, 'name is a mandatory field for a key'));
    if (!secret) {
      problems.push(required(`${at}.secret`, 'secret is a mandatory field for a key'));
      return;
    }
    if (!BASE64.test(secret)) {
      problems.push(invalid(`${at}.secret`, 'REDACTED', 'secrets must be base64 encoded'));
      return;
    }
    const bytes = Buffer.from(secret, 'base64');
    if (!sizes.includes(bytes.length)) {
      problems.push(invalid(`${at}.secret`, 'REDACTED', `secret is not of the expected length, got ${bytes.length}, expected one of [${sizes.join(' ')}]`));
      return;
    }
    if (name.includes(':')) problems.push(invalid(`${at}.name`, name, 'must not contain ":"'));
    keys.push({ name, secret: bytes });
  });
  return keys;
}

function parseProvider(raw: unknown, path: string, problems: string[]): ProviderConfig | undefined {
  const rec = asRecord(raw) ?? {};
  const present = KINDS.filter((k) => rec[k] !== undefined && rec[k] !== null);
  if (present.length === 0) {
    problems.push(`${path}: Invalid value: provider does not contain any of the expected providers: AESGCM, AESCBC, Secretbox, Identity`);
    return undefined;
  }
  if (present.length > 1) {
    problems.push(`${path}: Invalid value: more than one provider specified in a single element, should split into different list elements`);
    return undefined;
  }
  const kind = present[0]!;
  if (kind === 'identity') return { kind, keys: [] };
  const keys = parseKeys(asRecord(rec[kind])?.keys, `${path}.${kind}.keys`, KEY_SIZES[kind], problems);
  return { kind, keys };
}

/** Parses and validates a configuration file's text (YAML or JSON); throws EncryptionConfigError naming every problem. */
export function parseEncryptionConfig(text: string, file: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new EncryptionConfigError(file, [`not YAML or JSON: ${(err as Error).message}`]);
  }
  const top = asRecord(doc);
  const problems: string[] = [];
  if (!top) throw new EncryptionConfigError(file, ["EncryptionConfiguration can't be nil"]);
  if (top.kind !== 'EncryptionConfiguration') problems.push(invalid('kind', String(top.kind ?? ''), 'must be EncryptionConfiguration'));
  if (top.apiVersion !== 'apiserver.config.k8s.io/v1') problems.push(invalid('apiVersion', String(top.apiVersion ?? ''), 'must be apiserver.config.k8s.io/v1'));
  const entries = Array.isArray(top.resources) ? top.resources : [];
  if (!entries.length) problems.push(required('resources', 'at least one resources is required'));
  const seen = new Set<string>();
  const rules: ResourceRule[] = entries.map((e, i) => {
    const rec = asRecord(e) ?? {};
    const rpath = `resources[${i}].resources`;
    const ppath = `resources[${i}].providers`;
    const resources = (Array.isArray(rec.resources) ? rec.resources : []).map(String);
    const providersRaw = Array.isArray(rec.providers) ? rec.providers : [];
    if (!resources.length) problems.push(required(rpath, `at least one ${rpath} is required`));
    if (!providersRaw.length) problems.push(required(ppath, `at least one ${ppath} is required`));
    resources.forEach((r, j) => {
      if (seen.has(r)) problems.push(invalid(`${rpath}[${j}]`, r, 'resource is listed more than once'));
      seen.add(r);
    });
    const providers = providersRaw.map((p, j) => parseProvider(p, `${ppath}[${j}]`, problems)).filter((p): p is ProviderConfig => !!p);
    return { resources, providers };
  });
  if (problems.length) throw new EncryptionConfigError(file, problems);
  return { rules };
}

export function serializeEncryptionConfig(config: EncryptionConfig): string {
  const doc = {
    kind: 'EncryptionConfiguration',
    apiVersion: 'apiserver.config.k8s.io/v1',
    resources: config.rules.map((r) => ({
      resources: r.resources,
      providers: r.providers.map((p) =>
        p.kind === 'identity' ? { identity: {} } : { [p.kind]: { keys: p.keys.map((k) => ({ name: k.name, secret: k.secret.toString('base64') })) } },
      ),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A fresh AES-CBC key named for the moment it was made, as k3s names its keys. */
export function newKey(kind: Exclude<ProviderKind, 'identity'> = 'aescbc', now = new Date()): EncryptionKey {
  const stamp = now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15);
  return { name: `${kind}key-${stamp}-${randomBytes(2).toString('hex')}`, secret: randomBytes(32) };
}

/** What --secrets-encryption writes on first start: Secrets under a new AES-CBC key, with identity to read what was stored before. */
export function generatedConfig(): EncryptionConfig {
  return {
    rules: [
      {
        resources: ['secrets'],
        providers: [
          { kind: 'aescbc', keys: [newKey()] },
          { kind: 'identity', keys: [] },
        ],
      },
    ],
  };
}
