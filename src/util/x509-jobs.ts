// X.509 work a long-lived process needs only now and then (a node agent's key and CSR when it
// joins or renews, the ingress's self-signed default certificate at start), done in a child
// process that exits afterwards: the X.509/ASN.1 libraries are the largest modules such a
// process would load, and code once loaded stays in its heap for good. Not a worker thread:
// that one's heap goes with it, but the memory its thread allocated stays with the process.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Usage } from './x509.js';
import { LEAF_LIFETIME_MS, splitNames, type Names } from './x509-names.js';

type Job = { kind: 'csr'; cn: string; orgs: string[]; san?: Names } | { kind: 'self-signed'; cn: string; lifetimeMs: number; usage?: Usage; san?: Names };

interface JobResult {
  /** The key (SEC1 PEM). */
  keyPem: string;
  /** The CSR or the certificate (PEM). */
  pem: string;
}

/** How long an idle child is kept for the next job: a node's join asks for several certificates in a row. */
const IDLE_MS = 10_000;
const CHILD_ARG = '--skiff-x509-jobs';

interface Pending {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (err: Error) => void;
}

let shared: { child: ChildProcess; pending: Map<number, Pending>; idle?: NodeJS.Timeout } | undefined;
let nextId = 0;

function startChild(): NonNullable<typeof shared> {
  // Without the process's own node flags: the job needs none, and some (--input-type) refuse it.
  const child = fork(fileURLToPath(import.meta.url), [CHILD_ARG], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const w: NonNullable<typeof shared> = { child, pending: new Map() };
  const failAll = (why: string) => {
    if (shared === w) shared = undefined;
    clearTimeout(w.idle);
    for (const p of w.pending.values()) p.reject(new Error(`X.509 ${p.job.kind} for ${p.job.cn}: ${why}`));
    w.pending.clear();
  };
  child.on('message', (m: { id: number; ok?: JobResult; error?: string }) => {
    const p = w.pending.get(m.id);
    if (!p) return;
    w.pending.delete(m.id);
    if (m.ok) p.resolve(m.ok);
    else p.reject(new Error(`X.509 ${p.job.kind} for ${p.job.cn}: ${m.error}`));
    if (w.pending.size === 0) {
      // Idle: it no longer keeps this process alive, and exits unless another job comes.
      child.unref();
      child.channel?.unref();
      w.idle = setTimeout(() => {
        if (shared === w) shared = undefined;
        child.disconnect();
      }, IDLE_MS).unref();
    }
  });
  child.on('error', (err) => failAll(err.message));
  child.on('exit', (code) => failAll(`X.509 process exited with ${code} before answering`));
  return w;
}

function run(job: Job): Promise<JobResult> {
  shared ??= startChild();
  const w = shared;
  clearTimeout(w.idle);
  w.child.ref();
  w.child.channel?.ref();
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    w.pending.set(id, { job, resolve, reject });
    w.child.send({ id, job });
  });
}

/** A fresh P-256 key and a PEM "CERTIFICATE REQUEST" for CN `cn`, O `orgs`, with SANs when given. */
export async function keyAndCsr(cn: string, orgs: string[], san?: Names): Promise<{ keyPem: string; csrPem: string }> {
  const r = await run({ kind: 'csr', cn, orgs, san });
  return { keyPem: r.keyPem, csrPem: r.pem };
}

/**
 * A self-signed serving certificate, for a listener whose clients do not check it against
 * the cluster CA (the ingress default certificate, a node agent outside a cluster, tests).
 */
export async function selfSignedServingCert(cn: string, names: { hostnames?: string[]; ips?: string[] }): Promise<{ cert: string; key: string }> {
  const san = splitNames(names.hostnames ?? [], names.ips ?? []);
  const r = await run({ kind: 'self-signed', cn, lifetimeMs: LEAF_LIFETIME_MS, usage: 'server', san });
  return { cert: r.pem, key: r.keyPem };
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

if (process.argv[2] === CHILD_ARG && process.send) {
  process.on('message', ({ id, job }: { id: number; job: Job }) =>
    work(job).then(
      (ok) => process.send!({ id, ok }),
      (err: Error) => process.send!({ id, error: (err as Error).message }),
    ),
  );
  // The parent went away or is done with it.
  process.on('disconnect', () => process.exit(0));
}
