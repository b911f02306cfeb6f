// The CSR approving controller (kube-controller-manager's csrapproving): a node's client
// certificate request is approved when a bootstrap token asked for it (nodeclient) or the
// node itself renews it (selfnodeclient); a node's own serving certificate request is
// approved too, so that joined agents need no operator; and a node's request for the client
// certificate of one of its own components (proxy, DNS, ingress: api/certificates/
// agent-components.ts), exactly that subject and nothing more. Anything else waits for a human.
//
// Kubernetes asks the authorizer (SubjectAccessReviews on certificatesigningrequests/
// nodeclient and /selfnodeclient); the bootstrap policy grants those to system:bootstrappers
// and system:nodes, which is what `allowed` checks here.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { agentComponentOf } from '../../api/certificates/agent-components.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import { type ParsedCsr, parseCsr } from '../../util/x509.js';
import type { ControllerContext } from '../lib/context.js';
import { QueueController } from '../lib/queue-controller.js';
import { BOOTSTRAPPERS_GROUP, condition, NODE_USER_PREFIX, NODES_GROUP, requestPem, SIGNER, signerProblem } from './recognize.js';

export type ApprovalKind = 'nodeclient' | 'selfnodeclient' | 'selfnodeserving' | 'nodecomponent';

const MESSAGES: Record<ApprovalKind, string> = {
  nodeclient: 'Auto approving kubelet client certificate after SubjectAccessReview.',
  selfnodeclient: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
  selfnodeserving: 'Auto approving kubelet serving certificate requested by the node itself.',
  nodecomponent: "Auto approving the client certificate of a node's own component requested by the node itself.",
};

/**
 * A node asking for its proxy's, DNS's or ingress's client certificate: the requester is a
 * node (system:node:<X> in system:nodes), the subject is exactly one of X's component
 * subjects (one CN, the O it should have, nothing else), without alternative names.
 */
function nodeComponentRequest(csr: CertificateSigningRequest, parsed: ParsedCsr): boolean {
  const requester = csr.spec?.username ?? '';
  if (!requester.startsWith(NODE_USER_PREFIX) || !(csr.spec?.groups ?? []).includes(NODES_GROUP)) return false;
  const nodeName = requester.slice(NODE_USER_PREFIX.length);
  if (!nodeName || parsed.otherSubjectTypes.length) return false;
  if (parsed.subject.flatMap((rdn) => rdn.CN ?? []).length !== 1) return false;
  if (parsed.dnsNames.length || parsed.ipAddresses.length || parsed.emailAddresses.length || parsed.uris.length) return false;
  return agentComponentOf(parsed.commonName ?? '', parsed.organizations, nodeName) !== undefined;
}

/** Which automatic approval fits this request, if any. */
export function approvalFor(csr: CertificateSigningRequest): ApprovalKind | undefined {
  const spec = csr.spec;
  const signers: string[] = [SIGNER.kubeletClient, SIGNER.kubeletServing, SIGNER.apiserverClient];
  if (!spec || !signers.includes(spec.signerName)) return undefined;
  let parsed: ParsedCsr;
  try {
    parsed = parseCsr(requestPem(csr));
  } catch {
    return undefined;
  }
  if (signerProblem(spec.signerName, parsed, spec.usages ?? [])) return undefined;
  if (spec.signerName === SIGNER.apiserverClient) return nodeComponentRequest(csr, parsed) ? 'nodecomponent' : undefined;
  const groups = spec.groups ?? [];
  const self = spec.username === parsed.commonName && groups.includes(NODES_GROUP);
  if (spec.signerName === SIGNER.kubeletServing) return self ? 'selfnodeserving' : undefined;
  if (self) return 'selfnodeclient';
  return groups.includes(BOOTSTRAPPERS_GROUP) ? 'nodeclient' : undefined;
}

export class CsrApprovingController extends QueueController {
  readonly name = 'csrapproving';
  private readonly csrs: SharedInformer<CertificateSigningRequest>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 1, log: ctx.log, failure: 'approving a certificate request failed', keyField: 'csr' });
    this.csrs = ctx.informers.informerFor(resources.certificateSigningRequests);
    const enqueue = (c: CertificateSigningRequest) => {
      if (!condition(c, 'Approved') && !condition(c, 'Denied') && !c.status?.certificate) this.queue.add(c.metadata!.name!);
    };
    this.csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async reconcile(name: string): Promise<void> {
    const csr = this.csrs.store.get(name);
    if (!csr || condition(csr, 'Approved') || condition(csr, 'Denied')) return;
    const kind = approvalFor(csr);
    if (!kind) return;
    const now = new Date(this.ctx.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const next: CertificateSigningRequest = {
      ...csr,
      status: {
        ...(csr.status ?? {}),
        conditions: [
          ...(csr.status?.conditions ?? []),
          { type: 'Approved', status: 'True', reason: 'AutoApproved', message: MESSAGES[kind], lastUpdateTime: now, lastTransitionTime: now },
        ],
      },
    };
    try {
      await this.ctx.client.resource(resources.certificateSigningRequests).updateSubresource(name, 'approval', next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const csrApprovingController = (ctx: ControllerContext): CsrApprovingController => new CsrApprovingController(ctx);
