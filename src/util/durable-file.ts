// Files a data dir cannot lose (keys, certificates, tokens): written under a temporary name,
// fsynced, renamed into place, and the directory fsynced. Without the syncs a power cut within
// the kernel's writeback delay (about 30 s) after the first start left an empty or zeroed
// key behind, and the server refused to start on that data dir.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeTemp(path: string, data: string | Uint8Array, mode: number): string {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

/** Replaces `path` with `data`, all or nothing, on disk when this returns. */
export function writeFileDurable(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = writeTemp(path, data, mode);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  syncDir(dirname(path));
}

/** As writeFileDurable, but fails with EEXIST when `path` exists (never replaces it). */
export function createFileDurable(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = writeTemp(path, data, mode);
  try {
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
  syncDir(dirname(path));
}
