// The one place the nftables mode runs `nft`: a whole ruleset goes through `nft -f -` as one
// transaction (all or nothing), and the table's object names are read back for full resyncs.
// `netns` runs it inside a network namespace (`ip netns exec`), which is how tests and
// per-node namespaces keep rules off the host.
import { spawn } from 'node:child_process';

export interface NftObjects {
  chains: string[];
  sets: string[];
}

export interface NftRunner {
  /** Applies `nft -f` text atomically; rejects with nft's message and the failing lines. */
  apply(ruleset: string): Promise<void>;
  /** Chains and sets (including maps) of `ip <table>`; empty when the table does not exist. */
  listObjects(table: string): Promise<NftObjects>;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class NftCommand implements NftRunner {
  constructor(private readonly opts: { netns?: string; binary?: string } = {}) {}

  private run(args: string[], input?: string): Promise<RunResult> {
    const nft = this.opts.binary ?? 'nft';
    const [cmd, argv] = this.opts.netns ? ['ip', ['netns', 'exec', this.opts.netns, nft, ...args]] : [nft, args];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err) => reject(new Error(`running ${cmd} ${argv.join(' ')}: ${err.message}`)));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.on('error', () => {}); // nft may exit before reading everything; `close` reports it
      child.stdin.end(input ?? '');
    });
  }

  async apply(ruleset: string): Promise<void> {
    const r = await this.run(['-f', '-'], ruleset);
    if (r.code === 0) return;
    throw new NftError(`nft -f - failed (exit ${r.code}): ${r.stderr.trim()}`, ruleset, r.stderr);
  }

  async listObjects(table: string): Promise<NftObjects> {
    const r = await this.run(['-t', 'list', 'table', 'ip', table]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return { chains: [], sets: [] };
      throw new Error(`nft list table ip ${table} failed (exit ${r.code}): ${r.stderr.trim()}`);
    }
    return parseObjectNames(r.stdout);
  }
}

/** An nft failure with the text that was refused, so the caller can log the offending rules. */
export class NftError extends Error {
  constructor(
    message: string,
    readonly ruleset: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

/** Chain, set and map names from `nft -t list table` output. */
export function parseObjectNames(listing: string): NftObjects {
  const out: NftObjects = { chains: [], sets: [] };
  for (const line of listing.split('\n')) {
    const m = /^\s*(chain|set|map)\s+("?)([^\s"]+)\2\s*\{/.exec(line);
    if (!m) continue;
    (m[1] === 'chain' ? out.chains : out.sets).push(m[3]!);
  }
  return out;
}
