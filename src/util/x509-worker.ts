// X.509 work a long-lived process needs only now and then (a node agent's key and CSR when it
// joins or renews, the ingress's self-signed default certificate at start), done in a worker
// thread that exits afterwards: the X.509/ASN.1 libraries are the largest modules such a
// process would load, and code once loaded stays in its heap for good. A worker's heap goes
// with it.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Usage } from './x509.js';
import { splitNames, type Names } from './x509-names.js';

const SERVING_LIFETIME_MS = 365 * 24 * 3600_000;

type Job = { kind: 'csr'; cn: string; orgs: string[]; san?: Names } | { kind: 'self-signed'; cn: string; lifetimeMs: number; usage?: Usage; san?: Names };

interface JobResult {
  /** The key (SEC1 PEM). */
  keyPem: string;
  /** The CSR or the certificate (PEM). */
  pem: string;
}

function run(job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    // Without the process's own node flags: the job needs none, and some (--input-type) refuse a worker.
    const worker = new Worker(new URL(import.meta.url), { workerData: { skiffX509Job: job }, execArgv: [] });
    let settled = false;
    worker.once('message', (m: { ok: JobResult } | { error: string }) => {
      settled = true;
      if ('ok' in m) resolve(m.ok);
      else reject(new Error(`X.509 ${job.kind} for ${job.cn}: ${m.error}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(new Error(`X.509 ${job.kind} for ${job.cn}: ${err.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`X.509 ${job.kind} for ${job.cn}: worker exited with ${code} before answering`));
    });
  });
}

/** A fresh P-256 key and a PEM "CERTIFICATE REQUEST" for CN `cn`, O `orgs`, with SANs when given. */
export async function keyAndCsr(cn: string, orgs: string[], san?: Names): Promise<{ keyPem: string; csrPem: string }> {
  const r = await run({ kind: 'csr', cn, orgs, san });
  return { keyPem: r.keyPem, csrPem: r.pem };
}

/** A self-signed certificate and its fresh key (see x509.selfSigned). */
async function selfSignedInWorker(cn: string, lifetimeMs: number, usage?: Usage, san?: Names): Promise<{ certPem: string; keyPem: string }> {
  const r = await run({ kind: 'self-signed', cn, lifetimeMs, usage, san });
  return { certPem: r.pem, keyPem: r.keyPem };
}

/**
 * A self-signed serving certificate, for a listener whose clients do not check it against
 * the cluster CA (the ingress default certificate, a node agent outside a cluster, tests).
 */
export async function selfSignedServingCert(cn: string, names: { hostnames?: string[]; ips?: string[] }): Promise<{ cert: string; key: string }> {
  const { certPem, keyPem } = await selfSignedInWorker(cn, SERVING_LIFETIME_MS, 'server', splitNames(names.hostnames ?? [], names.ips ?? []));
  return { cert: certPem, key: keyPem };
}

async function work(job: Job): Promise<JobResult> {
  const x = await import('./x509.js');
  if (job.kind === 'self-signed') {
    const { certPem, keyPem } = await x.selfSigned(job.cn, job.lifetimeMs, job.usage, job.san);
    return { keyPem, pem: certPem };
  }
  const { keys, pem } = await x.newKey();
  return { keyPem: pem, pem: await x.createCsr(keys, job.cn, job.orgs, job.san) };
}

const job = !isMainThread && (workerData as { skiffX509Job?: Job } | undefined)?.skiffX509Job;
if (job)
  work(job).then(
    (ok) => parentPort!.postMessage({ ok }),
    (err: Error) => parentPort!.postMessage({ error: err.message }),
  );
