// The CSR signing controller (kube-controller-manager's csrsigning): approved requests for
// the built-in signers get a certificate from the cluster CA in status.certificate; a
// request the signer cannot honour gets a Failed condition instead.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import { csrSignatureValid, type ParsedCsr, parseCsr } from '../../util/x509.js';
import type { ControllerContext } from '../lib/context.js';
import { QueueController } from '../lib/queue-controller.js';
import { condition, requestPem, SIGNER, signerProblem } from './recognize.js';

const YEAR_SECONDS = 365 * 24 * 3600;
const SIGNERS: string[] = Object.values(SIGNER);

export function wantsSigning(csr: CertificateSigningRequest): boolean {
  return (
    SIGNERS.includes(csr.spec?.signerName ?? '') &&
    condition(csr, 'Approved') &&
    !condition(csr, 'Denied') &&
    !condition(csr, 'Failed') &&
    !csr.status?.certificate
  );
}

export class CsrSigningController extends QueueController {
  readonly name = 'csrsigning';
  private readonly csrs: SharedInformer<CertificateSigningRequest>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'signing a certificate failed', keyField: 'csr' });
    this.csrs = ctx.informers.informerFor(resources.certificateSigningRequests);
    const enqueue = (c: CertificateSigningRequest) => {
      if (wantsSigning(c)) this.queue.add(c.metadata!.name!);
    };
    this.csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async reconcile(name: string): Promise<void> {
    const csr = this.csrs.store.get(name);
    const sign = this.ctx.settings?.csrSigner;
    if (!csr || !wantsSigning(csr) || !sign) return;
    const usages = csr.spec.usages ?? [];
    const pem = requestPem(csr);
    let problem: string | undefined;
    let parsed: ParsedCsr | undefined;
    try {
      parsed = parseCsr(pem);
      problem = (await csrSignatureValid(pem)) ? signerProblem(csr.spec.signerName, parsed, usages) : 'unable to verify certificate request signature';
    } catch (e) {
      problem = `unable to parse csr: ${(e as Error).message}`;
    }
    const now = new Date(this.ctx.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const next: CertificateSigningRequest = { ...csr, status: { ...(csr.status ?? {}) } };
    if (problem || !parsed) {
      next.status!.conditions = [
        ...(csr.status?.conditions ?? []),
        { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: now, lastTransitionTime: now },
      ];
    } else {
      const max = this.ctx.settings?.clusterSigningDurationSeconds ?? YEAR_SECONDS;
      const seconds = Math.min(csr.spec.expirationSeconds ?? max, max);
      const server = usages.includes('server auth');
      const client = usages.includes('client auth');
      const cert = await sign({
        subject: parsed.subject,
        publicKey: parsed.spki,
        usage: server && client ? 'server-client' : server ? 'server' : 'client',
        san: { dns: parsed.dnsNames, ips: parsed.ipAddresses },
        notAfter: this.ctx.now() + seconds * 1000,
      });
      next.status!.certificate = Buffer.from(cert).toString('base64');
    }
    try {
      await this.ctx.client.resource(resources.certificateSigningRequests).updateStatus(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const csrSigningController = (ctx: ControllerContext): CsrSigningController => new CsrSigningController(ctx);
