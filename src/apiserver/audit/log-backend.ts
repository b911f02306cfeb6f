// Where audit events go: JSON lines in a file (or stdout for `-`), rotated by size as
// kube-apiserver's log backend does (--audit-log-maxsize MB, --audit-log-maxbackup files,
// --audit-log-maxage days), the rotated files named with the moment of rotation.
import { closeSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface AuditLogOptions {
  path: string;
  /** Megabytes before the file is rotated; 0: never. */
  maxSizeMB?: number;
  /** Rotated files kept; 0: all. */
  maxBackups?: number;
  /** Days a rotated file is kept; 0: forever. */
  maxAgeDays?: number;
}

export class AuditLog {
  private fd?: number;
  private size = 0;

  constructor(private readonly opts: AuditLogOptions) {}

  private open(): number {
    if (this.fd === undefined) {
      this.fd = openSync(this.opts.path, 'a', 0o600);
      this.size = statSync(this.opts.path).size;
    }
    return this.fd;
  }

  /** Writes one event as a line; synchronous, so a crash right after a request cannot lose its record. */
  write(event: object): void {
    const line = `${JSON.stringify(event)}\n`;
    if (this.opts.path === '-') {
      process.stdout.write(line);
      return;
    }
    const max = (this.opts.maxSizeMB ?? 0) * 1024 * 1024;
    if (max && this.size > 0 && this.size + Buffer.byteLength(line) > max) this.rotate();
    this.size += writeSync(this.open(), line);
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const ext = extname(this.opts.path);
    const stem = basename(this.opts.path, ext);
    const stamp = new Date().toISOString().replace(/:/g, '-').replace('Z', '');
    renameSync(this.opts.path, join(dirname(this.opts.path), `${stem}-${stamp}${ext}`));
    this.prune(stem, ext);
    // The new file exists from the moment of rotation, as with any log rotator.
    this.open();
  }

  private prune(stem: string, ext: string): void {
    const dir = dirname(this.opts.path);
    const rotated = readdirSync(dir)
      .filter((f) => f.startsWith(`${stem}-`) && f.endsWith(ext))
      .sort()
      .reverse();
    const maxAge = (this.opts.maxAgeDays ?? 0) * 86_400_000;
    rotated.forEach((f, i) => {
      const tooMany = this.opts.maxBackups && i >= this.opts.maxBackups;
      const tooOld = maxAge && Date.now() - statSync(join(dir, f)).mtimeMs > maxAge;
      if (tooMany || tooOld) unlinkSync(join(dir, f));
    });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
