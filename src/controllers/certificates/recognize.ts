// What each built-in signer accepts, as Kubernetes' certificates helpers define it: a node's
// client certificate, a node's serving certificate, and any apiserver client certificate.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { ParsedCsr } from '../../util/x509.js';

export const SIGNER = {
  apiserverClient: 'kubernetes.io/kube-apiserver-client',
  kubeletClient: 'kubernetes.io/kube-apiserver-client-kubelet',
  kubeletServing: 'kubernetes.io/kubelet-serving',
} as const;

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

/** Why the usages do not fit: `required` must be present, everything else must be in `optional`. */
function usageProblem(usages: string[], required: string, optional: string[], what: string): string | undefined {
  if (!usages.includes(required)) return `missing required usage for ${what} certificate: ${required}`;
  const bad = usages.filter((u) => u !== required && !optional.includes(u));
  return bad.length ? `invalid usage for ${what} certificate: ${bad.join(', ')}` : undefined;
}

function nodeSubjectProblem(req: ParsedCsr): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== NODES_GROUP) return `subject organization is not ${NODES_GROUP}`;
  if (!req.commonName?.startsWith(NODE_USER_PREFIX) || req.commonName.length === NODE_USER_PREFIX.length)
    return `subject common name does not begin with ${NODE_USER_PREFIX}`;
  return undefined;
}

/** undefined when `signerName` may sign this request; else the reason it may not. */
export function signerProblem(signerName: string, req: ParsedCsr, usages: string[]): string | undefined {
  const keyUsages = ['digital signature', 'key encipherment'];
  switch (signerName) {
    case SIGNER.kubeletClient:
      return (
        nodeSubjectProblem(req) ??
        (req.dnsNames.length || req.ipAddresses.length || req.emailAddresses.length || req.uris.length
          ? 'subject alternative names are not allowed'
          : undefined) ??
        usageProblem(usages, 'client auth', keyUsages, 'kubelet client')
      );
    case SIGNER.kubeletServing:
      return (
        nodeSubjectProblem(req) ??
        (!req.dnsNames.length && !req.ipAddresses.length ? 'DNS or IP subjectAltName is required' : undefined) ??
        (req.emailAddresses.length || req.uris.length ? 'email and URI subjectAltNames are not allowed' : undefined) ??
        usageProblem(usages, 'server auth', keyUsages, 'kubelet serving')
      );
    case SIGNER.apiserverClient:
      return usageProblem(usages, 'client auth', keyUsages, 'client');
    default:
      return `unknown signer ${signerName}`;
  }
}

export function condition(csr: CertificateSigningRequest, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export function requestPem(csr: CertificateSigningRequest): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}
