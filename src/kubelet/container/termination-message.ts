// The message of a terminated container, as the kubelet composes it: what the container
// wrote to its terminationMessagePath (read by the agent's volume code, passed in here),
// or — with terminationMessagePolicy FallbackToLogsOnError, a failed container and an
// empty file — the tail of its log. Appended to the runtime's own message, if any.
import { open } from 'node:fs/promises';

/** Limits the kubelet applies: 4 KiB of file; 80 lines or 2 KiB of log. */
export const MAX_MESSAGE_BYTES = 4096;
export const MAX_LOG_LINES = 80;
export const MAX_LOG_BYTES = 2048;

/**
 * The last lines of a CRI log file (`<time> <stream> <P|F> <text>` per line), as the
 * container wrote them: partial lines (P) joined, the CRI prefix dropped.
 */
export async function criLogTail(path: string, maxLines = MAX_LOG_LINES, maxBytes = MAX_LOG_BYTES): Promise<string> {
  // Read enough of the end for the limits even with long prefixes; never the whole file.
  const window = Math.max(maxBytes * 4, 64 * 1024);
  const fh = await open(path, 'r');
  let text: string;
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - window);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    text = buf.toString('utf8');
    // The first line may be cut: drop it unless the file starts there.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    await fh.close();
  }
  const lines: string[] = [];
  let partial = '';
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(raw);
    if (!m) {
      lines.push(raw);
      continue;
    }
    partial += m[2];
    if (m[1] === 'F') {
      lines.push(partial);
      partial = '';
    }
  }
  if (partial) lines.push(partial);
  let out = lines
    .slice(-maxLines)
    .map((l) => `${l}\n`)
    .join('');
  const bytes = Buffer.from(out);
  if (bytes.length > maxBytes) out = bytes.subarray(bytes.length - maxBytes).toString('utf8');
  return out;
}

export interface MessageInput {
  /** The file's content as read on the host; undefined when there is none. */
  fileContent?: string;
  policy?: string;
  exitCode: number;
  runtimeReason?: string;
  runtimeMessage?: string;
  logPath?: string;
}

export async function terminationMessage(i: MessageInput): Promise<string | undefined> {
  let msg = i.fileContent ?? '';
  if (Buffer.byteLength(msg) > MAX_MESSAGE_BYTES) msg = Buffer.from(msg).subarray(0, MAX_MESSAGE_BYTES).toString('utf8');
  const fallback = i.policy === 'FallbackToLogsOnError' && i.exitCode !== 0 && i.runtimeReason !== 'ContainerCannotRun';
  if (!msg && fallback && i.logPath) msg = await criLogTail(i.logPath).catch(() => '');
  if (!msg) return i.runtimeMessage || undefined;
  return i.runtimeMessage ? `${i.runtimeMessage}: ${msg}` : msg;
}
