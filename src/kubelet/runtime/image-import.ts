// Loads image archives into the node's containerd: Skiff's built-in images (built from
// busybox-static) and any archive an operator drops into DATA_DIR/agent/images/ (the
// air-gapped way). `ctr images import` into the `k8s.io` namespace is what the CRI plugin
// reads, unpacked for the snapshotter CRI uses so that containers start without a pull.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxAvailable, busyboxImage, httpdImage, pauseImage } from '../../images/busybox.js';
import { trackChild } from '../../util/children.js';
import { buildImageArchive, type ImageSpec } from '../../images/oci.js';

export const CRI_NAMESPACE = 'k8s.io';
const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.zst|tzst)$/;

export interface ImportTarget {
  /** containerd's socket path (not a URL). */
  socket: string;
  snapshotter: string;
  /** Where the record of imported archives is kept. */
  stateDir: string;
}

/** `ctr images import`; resolves with the image names ctr reports, rejects with its stderr. */
export function ctrImport(target: ImportTarget, file: string, timeoutMs = 10 * 60_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const args = ['--address', target.socket, '--namespace', CRI_NAMESPACE, 'images', 'import', '--snapshotter', target.snapshotter, file];
    const child = trackChild(spawn('ctr', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`ctr images import ${file}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve([...out.matchAll(/^unpacking (\S+)/gm)].map((m) => m[1]!));
      else reject(new Error(`ctr images import ${file} failed (${signal ?? `exit ${code}`}): ${err.trim() || out.trim()}`));
    });
  });
}

/** Image names present in containerd's k8s.io namespace. */
export function ctrImageNames(socket: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn('ctr', ['--address', socket, '--namespace', CRI_NAMESPACE, 'images', 'ls', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new Error(`ctr images ls: ${e.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve(new Set(out.split('\n').filter(Boolean))) : reject(new Error(`ctr images ls failed: ${err.trim()}`))));
  });
}

/** Image name → the digest its record points at (`ctr images ls`'s DIGEST column). */
export function ctrImageDigests(socket: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn('ctr', ['--address', socket, '--namespace', CRI_NAMESPACE, 'images', 'ls'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new Error(`ctr images ls: ${e.message}`)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`ctr images ls failed: ${err.trim()}`));
      const digests = new Map<string, string>();
      for (const line of out.split('\n').slice(1)) {
        const [ref, , digest] = line.trim().split(/\s+/);
        if (ref && digest?.startsWith('sha256:')) digests.set(ref, digest);
      }
      resolve(digests);
    });
  });
}

export type Progress = (msg: string) => void;

/**
 * The project's images, imported unless containerd has these very images already (same
 * manifest digest): an image fixed in a newer Skiff replaces the one an older Skiff imported.
 */
export async function importBuiltinImages(target: ImportTarget, progress: Progress = () => {}): Promise<string[]> {
  if (!busyboxAvailable()) {
    progress('built-in images skipped: /bin/busybox (busybox-static) is not installed');
    return [];
  }
  const have = await ctrImageDigests(target.socket);
  const specs: ImageSpec[] = [pauseImage(), busyboxImage(), httpdImage()];
  const imported: string[] = [];
  mkdirSync(target.stateDir, { recursive: true });
  for (const spec of specs) {
    const built = buildImageArchive(spec);
    if (have.get(spec.name) === built.manifestDigest) continue;
    const file = join(target.stateDir, `builtin-${spec.name.replace(/[^a-z0-9.]+/gi, '_')}.tar`);
    writeFileSync(file, built.archive);
    try {
      await ctrImport(target, file);
    } finally {
      rmSync(file, { force: true });
    }
    progress(`imported ${spec.name}`);
    imported.push(spec.name);
  }
  return imported;
}

const fingerprint = (file: string) => {
  const st = statSync(file);
  return `${st.size}:${Math.floor(st.mtimeMs)}`;
};

/**
 * Every archive in `dir` not imported before (by name, size and modification time, recorded
 * in the state dir), so a restarted agent does not load the same archives again.
 */
export async function importArchiveDir(target: ImportTarget, dir: string, progress: Progress = () => {}): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const recordFile = join(target.stateDir, 'imported-archives.json');
  let record: Record<string, string> = {};
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as Record<string, string>;
  } catch {
    /* first run, or an unreadable record: import again, which containerd tolerates */
  }
  const done: string[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => ARCHIVE.test(f))
    .sort()) {
    const file = join(dir, name);
    const fp = fingerprint(file);
    if (record[name] === fp) continue;
    const images = await ctrImport(target, file);
    record[name] = fp;
    mkdirSync(target.stateDir, { recursive: true });
    writeFileSync(recordFile, JSON.stringify(record, null, 2));
    progress(`imported ${name}${images.length ? `: ${images.join(', ')}` : ''}`);
    done.push(name);
  }
  return done;
}
