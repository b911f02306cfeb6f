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

/** How long an idle worker is kept for the next job: a node's join asks for several certificates in a row. */
const IDLE_MS = 10_000;

interface Pending {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (err: Error) => void;
}

let shared: { worker: Worker; pending: Map<number, Pending>; idle?: NodeJS.Timeout } | undefined;
let nextId = 0;

function startWorker(): NonNullable<typeof shared> {
  // Without the process's own node flags: the job needs none, and some (--input-type) refuse a worker.
  const worker = new Worker(new URL(import.meta.url), { workerData: { skiffX509Worker: true }, execArgv: [] });
  const w: NonNullable<typeof shared> = { worker, pending: new Map() };
  const failAll = (why: string) => {
    if (shared === w) shared = undefined;
    clearTimeout(w.idle);
    for (const p of w.pending.values()) p.reject(new Error(`X.509 ${p.job.kind} for ${p.job.cn}: ${why}`));
    w.pending.clear();
  };
  worker.on('message', (m: { id: number; ok?: JobResult; error?: string }) => {
    const p = w.pending.get(m.id);
    if (!p) return;
    w.pending.delete(m.id);
    if (m.ok) p.resolve(m.ok);
    else p.reject(new Error(`X.509 ${p.job.kind} for ${p.job.cn}: ${m.error}`));
    if (w.pending.size === 0) {
      // Idle: it no longer keeps the process alive, and goes (with its heap) unless another job comes.
      worker.unref();
      w.idle = setTimeout(() => {
        if (shared === w) shared = undefined;
        void worker.terminate();
      }, IDLE_MS).unref();
    }
  });
  worker.on('error', (err) => failAll(err.message));
  worker.on('exit', (code) => failAll(`worker exited with ${code} before answering`));
  return w;
}

function run(job: Job): Promise<JobResult> {
  shared ??= startWorker();
  const w = shared;
  clearTimeout(w.idle);
  w.worker.ref();
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    w.pending.set(id, { job, resolve, reject });
    w.worker.postMessage({ id, job });
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

if (!isMainThread && (workerData as { skiffX509Worker?: boolean } | undefined)?.skiffX509Worker)
  parentPort!.on('message', ({ id, job }: { id: number; job: Job }) =>
    work(job).then(
      (ok) => parentPort!.postMessage({ id, ok }),
      (err: Error) => parentPort!.postMessage({ id, error: err.message }),
    ),
  );
