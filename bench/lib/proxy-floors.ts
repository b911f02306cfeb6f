// What one kernel write costs in a mode with the 1,000 Services programmed, whatever the
// proxy puts in it: the floor under every partial sync. Measured with a chain of the bench's
// own (created, rewritten, deleted), so the Services' rules are left as they are.
//  nftables: `add chain` alone (process start; nft needs no cache for it), `add element`
//    (nft 1.0.6 first dumps every chain of every table), a one-rule chain rewrite (the dump,
//    plus the kernel validating the whole table on commit).
//  iptables: an empty `iptables-restore --noflush` and a one-rule chain rewrite.
import { run } from '../../src/proxy/run-command.js';
import { summarize, type Row } from './report.js';

const REPEAT = 15;

async function timed(what: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await what();
    samples.push(performance.now() - t0);
  }
  return summarize(samples).p50;
}

async function must(cmd: string, args: string[], input: string): Promise<void> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}\n${input}`);
}

export async function nftFloors(prefix: string, rows: Row[]): Promise<void> {
  const nft = (text: string) => must('nft', ['-f', '-'], text);
  const t = 'ip skiff';
  rows.push({
    figure: `${prefix}_floor_add_chain`,
    value: await timed(() => nft(`add chain ${t} bench-floor\n`)),
    unit: 'ms',
    note: 'p50; nft start, no cache',
  });
  rows.push({
    figure: `${prefix}_floor_add_element`,
    value: await timed(() => nft(`add element ${t} cluster-ips { 10.99.0.1 }\n`)),
    unit: 'ms',
    note: 'p50; nft dumps every chain first',
  });
  rows.push({
    figure: `${prefix}_floor_rewrite_chain`,
    value: await timed(() => nft(`flush chain ${t} bench-floor\nadd rule ${t} bench-floor ip saddr 10.99.0.1 drop\n`)),
    unit: 'ms',
    note: 'p50; the chain dump plus the kernel validating the table',
  });
  await nft(`delete element ${t} cluster-ips { 10.99.0.1 }\ndelete chain ${t} bench-floor\n`);
}

export async function iptablesFloors(prefix: string, restore: string, rows: Row[]): Promise<void> {
  const r = (text: string) => must(restore, ['-w', '5', '--noflush'], text);
  rows.push({
    figure: `${prefix}_floor_empty_restore`,
    value: await timed(() => r('*nat\nCOMMIT\n')),
    unit: 'ms',
    note: 'p50; iptables-restore --noflush of nothing',
  });
  rows.push({
    figure: `${prefix}_floor_rewrite_chain`,
    value: await timed(() => r('*nat\n:BENCH-FLOOR - [0:0]\n-A BENCH-FLOOR -s 10.99.0.1/32 -j RETURN\nCOMMIT\n')),
    unit: 'ms',
    note: 'p50; one one-rule chain written',
  });
  await r('*nat\n:BENCH-FLOOR - [0:0]\n-X BENCH-FLOOR\nCOMMIT\n');
}
