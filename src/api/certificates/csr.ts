// certificates.k8s.io/v1 CertificateSigningRequest: the request and its validation, the
// requester stamped into spec on create, and what /status and /approval may change.
import { X509Certificate } from 'node:crypto';
import { parseCsr } from '../../util/x509.js';
import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, jsonEqual } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age, humanDuration } from '../table.js';

export const SIGNERS = {
  apiserverClient: 'kubernetes.io/kube-apiserver-client',
  kubeletClient: 'kubernetes.io/kube-apiserver-client-kubelet',
  kubeletServing: 'kubernetes.io/kubelet-serving',
  legacyUnknown: 'kubernetes.io/legacy-unknown',
} as const;

export const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

const MIN_EXPIRATION_SECONDS = 600;
const EXCLUSIVE = ['Approved', 'Denied'];

export function hasCondition(obj: KObject, type: string): boolean {
  return (obj.status?.conditions ?? []).some((c: any) => c?.type === type && c?.status === 'True');
}

// A signer name is "<fully qualified domain>/<path>", as Kubernetes' ValidateSignerName.
function signerNameErrors(v: unknown): FieldError[] {
  const path = 'spec.signerName';
  if (typeof v !== 'string' || !v) return [fieldErr.required(path)];
  const slash = v.indexOf('/');
  const domain = v.slice(0, slash);
  const rest = v.slice(slash + 1);
  if (slash < 0 || !domain.includes('.') || !rest || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(domain))
    return [fieldErr.invalid(path, v, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  if (v === SIGNERS.legacyUnknown) return [fieldErr.invalid(path, v, 'the legacy signerName is not allowed via this API version')];
  return [];
}

function validateSpec(spec: any): FieldError[] {
  const errs: FieldError[] = [];
  const pem = typeof spec.request === 'string' ? Buffer.from(spec.request, 'base64').toString('utf8') : '';
  if (!spec.request) errs.push(fieldErr.required('spec.request'));
  else {
    try {
      parseCsr(pem);
    } catch (e) {
      errs.push(fieldErr.invalid('spec.request', '<request>', (e as Error).message));
    }
  }
  errs.push(...signerNameErrors(spec.signerName));
  const usages = spec.usages;
  if (!Array.isArray(usages) || !usages.length) errs.push(fieldErr.required('spec.usages', 'usages must be provided'));
  else {
    const seen = new Set<string>();
    usages.forEach((u: unknown, i: number) => {
      if (typeof u !== 'string' || !KEY_USAGES.includes(u)) errs.push(fieldErr.notSupported(`spec.usages[${i}]`, u, KEY_USAGES));
      else if (seen.has(u)) errs.push(fieldErr.duplicate(`spec.usages[${i}]`, u));
      else seen.add(u);
    });
  }
  if (spec.expirationSeconds != null && !(Number.isInteger(spec.expirationSeconds) && spec.expirationSeconds >= MIN_EXPIRATION_SECONDS))
    errs.push(fieldErr.invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  return errs;
}

function validateStatus(status: any): FieldError[] {
  const errs: FieldError[] = [];
  const conds: any[] = Array.isArray(status?.conditions) ? status.conditions : [];
  const seen = new Set<string>();
  conds.forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    if (!c?.type) errs.push(fieldErr.required(`${p}.type`));
    else if (['Approved', 'Denied', 'Failed'].includes(c.type)) {
      if (seen.has(c.type)) errs.push(fieldErr.duplicate(`${p}.type`, c.type));
      seen.add(c.type);
      if (EXCLUSIVE.includes(c.type) && c.status !== 'True') errs.push(fieldErr.notSupported(`${p}.status`, c.status, ['True']));
    }
    if (c?.status != null && !['True', 'False', 'Unknown'].includes(c.status))
      errs.push(fieldErr.notSupported(`${p}.status`, c.status, ['False', 'True', 'Unknown']));
  });
  if (seen.has('Approved') && seen.has('Denied'))
    errs.push(fieldErr.invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  const cert = status?.certificate;
  if (cert) {
    const pem = Buffer.from(String(cert), 'base64').toString('utf8');
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (!blocks.length) errs.push(fieldErr.invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch (e) {
        errs.push(fieldErr.invalid('status.certificate', '<certificate data>', `failure parsing certificate: ${(e as Error).message}`));
        break;
      }
    }
  }
  return errs;
}

function validateStatusChange(obj: KObject, old: KObject): FieldError[] {
  const errs = validateStatus(obj.status);
  for (const t of EXCLUSIVE)
    if (hasCondition(old, t) && !hasCondition(obj, t)) errs.push(fieldErr.forbidden('status.conditions', `updates may not remove a condition of type "${t}"`));
  const oldCert = old.status?.certificate;
  if (oldCert && obj.status?.certificate !== oldCert)
    errs.push(fieldErr.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  if (obj.status?.certificate && !oldCert && hasCondition(obj, 'Denied'))
    errs.push(fieldErr.invalid('status.certificate', '<certificate data>', 'certificate cannot be set on a denied request'));
  return errs;
}

function conditionSummary(obj: KObject): string {
  const types = (obj.status?.conditions ?? []).filter((c: any) => c?.status === 'True' || EXCLUSIVE.includes(c?.type)).map((c: any) => c.type as string);
  if (obj.status?.certificate) types.push('Issued');
  return types.length ? types.join(',') : 'Pending';
}

/** Fills in the times kubectl and controllers may leave out of a condition. */
export function stampConditionTimes(obj: KObject, old: KObject): void {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const before: any[] = old.status?.conditions ?? [];
  for (const c of obj.status?.conditions ?? []) {
    if (!c || typeof c !== 'object') continue;
    const prev = before.find((p) => p?.type === c.type);
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) c.lastTransitionTime = prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now;
  }
}

export const certificateSigningRequests: ResourceDef = {
  group: 'certificates.k8s.io',
  version: 'v1',
  kind: 'CertificateSigningRequest',
  plural: 'certificatesigningrequests',
  singular: 'certificatesigningrequest',
  shortNames: ['csr'],
  namespaced: false,
  subresources: { status: true, approval: true },
  stampRequester(obj, user) {
    obj.spec = obj.spec && typeof obj.spec === 'object' ? obj.spec : {};
    obj.spec.username = user.username;
    if (user.uid) obj.spec.uid = user.uid;
    else delete obj.spec.uid;
    obj.spec.groups = [...user.groups];
    if (user.extra && Object.keys(user.extra).length) obj.spec.extra = user.extra;
    else delete obj.spec.extra;
  },
  prepareForCreate(obj) {
    delete obj.status;
  },
  // Through the main resource only metadata changes, as csrStrategy.PrepareForUpdate.
  prepareForUpdate(obj, old) {
    obj.spec = old.spec;
  },
  prepareForSubresourceUpdate(sub, obj, old) {
    stampConditionTimes(obj, old);
    if (sub !== 'status') return;
    // Approval is only given or withheld through /approval: /status keeps the old verdict.
    const keep = (old.status?.conditions ?? []).filter((c: any) => EXCLUSIVE.includes(c?.type));
    const rest = (obj.status?.conditions ?? []).filter((c: any) => !EXCLUSIVE.includes(c?.type));
    obj.status = { ...(obj.status ?? {}), conditions: [...keep, ...rest] };
    if (!obj.status.conditions.length) delete obj.status.conditions;
  },
  validate: (obj) => validateSpec(obj.spec ?? {}),
  validateUpdate: (obj, old) => (jsonEqual(obj.spec, old.spec) ? [] : [fieldErr.forbidden('spec', 'updates to spec are not allowed')]),
  validateStatusUpdate: validateStatusChange,
  fieldSelectors: { 'spec.signerName': (o) => o.spec?.signerName },
  table: {
    columns: [
      NAME_COLUMN,
      AGE_COLUMN,
      { name: 'SignerName', type: 'string', description: 'Requested signer of the certificate.', priority: 0 },
      { name: 'Requestor', type: 'string', description: 'Name of the user who created the request.', priority: 0 },
      { name: 'RequestedDuration', type: 'string', description: 'The requested duration of the issued certificate.', priority: 0 },
      { name: 'Condition', type: 'string', description: 'The state of the request: Approved, Denied, Issued, Failed or Pending.', priority: 0 },
    ],
    row: (o, now) => [
      o.metadata?.name,
      age(o.metadata?.creationTimestamp, now),
      o.spec?.signerName ?? '',
      o.spec?.username ?? '',
      o.spec?.expirationSeconds ? humanDuration(o.spec.expirationSeconds * 1000) : '<none>',
      conditionSummary(o),
    ],
  },
};
