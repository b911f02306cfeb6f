// The restore text of a sync (shared chains whole, only changed ports' chains, stale chains
// deleted) and the mode's handling of a rejected rule, with a recording stand-in for the node's
// commands (the real iptables run in the e2e test, inside a network namespace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IptablesHost, CommandResult } from '../../src/proxy/iptables/exec.js';
import { IptablesMode } from '../../src/proxy/iptables/mode.js';
import { buildRestore, failedLine, missingJumps, parseSave } from '../../src/proxy/iptables/restore.js';
import { servicePortRules } from '../../src/proxy/iptables/rules.js';
import { endpointChain, serviceChain } from '../../src/proxy/iptables/chain-names.js';
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../../src/proxy/types.js';
import type { createLogger } from '../../src/util/log.js';
import { ep, port } from './fixtures.js';

const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
} as unknown as ReturnType<typeof createLogger>;

function snapshot(entries: [ServicePortInfo, EndpointInfo[]][]): ProxySnapshot {
  return {
    nodeName: 'n1',
    nodeIPs: ['192.168.1.1'],
    services: new Map(entries.map(([s]) => [s.key, s])),
    endpoints: new Map(entries.map(([s, e]) => [s.key, e])),
  };
}

class FakeHost implements IptablesHost {
  restores: string[] = [];
  conntrack: string[][] = [];
  save_ = {
    filter: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n',
    nat: '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:OTHER - [0:0]\nCOMMIT\n',
  };
  fail?: (text: string) => CommandResult | undefined;
  async restore(text: string): Promise<CommandResult> {
    this.restores.push(text);
    return this.fail?.(text) ?? { code: 0, stdout: '', stderr: '' };
  }
  async save(table: 'nat' | 'filter') {
    return this.save_[table];
  }
  async listChain() {
    return undefined;
  }
  async conntrackDelete(args: string[]) {
    this.conntrack.push(args);
  }
  async enableRouteLocalnet() {}
}

test('restore text: both tables, shared chains rebuilt from every port, own chains of the written ports only, stale chains deleted', () => {
  const a = port('ns', 'a', 'p', { clusterIPs: ['10.43.0.5'] });
  const b = port('ns', 'b', 'p', { clusterIPs: ['10.43.0.6'], nodePort: 30001 });
  const rules = new Map([
    [a.key, servicePortRules(a, [ep('10.42.0.2', 80)], {})],
    [b.key, servicePortRules(b, [], {})],
  ]);
  const out = buildRestore({
    rules,
    write: new Set([a.key]),
    staleChains: ['KUBE-SEP-ZZZZZZZZZZZZZZZZ'],
    missingJumps: missingJumps(parseSave('*nat\n-A PREROUTING -m comment --comment x -j KUBE-SERVICES\nCOMMIT\n')),
  });
  const SA = serviceChain('SVC', 'ns/a:p', 'tcp');
  const lines = out.text.split('\n');
  assert.deepEqual(lines.slice(0, 6), [
    '*filter',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
  ]);
  assert.ok(
    lines.includes('-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'),
  );
  assert.ok(lines.includes('-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'));
  assert.ok(!lines.some((l) => l.startsWith('-I PREROUTING')), 'a hook already present is not added again');
  assert.ok(lines.includes('-A KUBE-SERVICES -m comment --comment "ns/b:p has no endpoints" -m tcp -p tcp -d 10.43.0.6 --dport 80 -j REJECT'));
  const nat = lines.slice(lines.indexOf('*nat'));
  assert.deepEqual(
    nat.filter((l) => l.startsWith(':')),
    [
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-POSTROUTING - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      `:${SA} - [0:0]`,
      `:${rules.get(a.key)!.chains[1]!.name} - [0:0]`,
      ':KUBE-SEP-ZZZZZZZZZZZZZZZZ - [0:0]',
    ],
  );
  assert.deepEqual(
    nat.filter((l) => l.startsWith('-A KUBE-POSTROUTING') || l.startsWith('-A KUBE-MARK-MASQ')),
    [
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    ],
  );
  assert.deepEqual(
    nat.filter((l) => l.startsWith('-A KUBE-SERVICES')),
    [
      `-A KUBE-SERVICES -m comment --comment "ns/a:p cluster IP" -m tcp -p tcp -d 10.43.0.5 --dport 80 -j ${SA}`,
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ],
  );
  assert.deepEqual(nat.slice(-3), ['-X KUBE-SEP-ZZZZZZZZZZZZZZZZ', 'COMMIT', '']);
  assert.equal(out.written, 1);
  const n = lines.indexOf(`-A KUBE-SERVICES -m comment --comment "ns/a:p cluster IP" -m tcp -p tcp -d 10.43.0.5 --dport 80 -j ${SA}`) + 1;
  assert.equal(out.owners.get(n), 'ns/a:p');
});

test("failedLine reads iptables-restore's error", () => {
  assert.equal(failedLine('iptables-restore v1.8.9 (nf_tables): line 7 failed\n'), 7);
  assert.equal(failedLine('iptables-restore: line 12 failed'), 12);
  assert.equal(
    failedLine("iptables-restore v1.8.9 (nf_tables): host/network `10.43.0.300' not found\nError occurred at line: 48\nTry `iptables-restore -h'"),
    48,
  );
  assert.equal(failedLine('iptables-restore: unable to initialize table'), undefined);
});

test('mode: a full sync writes everything and deletes unowned KUBE chains; a partial one only the changed port; removed ports lose their chains', async () => {
  const host = new FakeHost();
  const mode = new IptablesMode({ log: quiet, host });
  const a = port('ns', 'a', 'p', { clusterIPs: ['10.43.0.5'] });
  const b = port('ns', 'b', 'p', { clusterIPs: ['10.43.0.6'] });
  await mode.sync(
    snapshot([
      [a, [ep('10.42.0.2', 80)]],
      [b, [ep('10.42.0.3', 80)]],
    ]),
    'all',
  );
  const full = host.restores[0]!;
  const SA = serviceChain('SVC', 'ns/a:p', 'tcp');
  const SB = serviceChain('SVC', 'ns/b:p', 'tcp');
  assert.ok(full.includes(`:${SA} - [0:0]`) && full.includes(`:${SB} - [0:0]`));
  assert.ok(full.includes('-X KUBE-SVC-AAAAAAAAAAAAAAAA\n'), 'a service chain nobody owns is deleted');
  assert.ok(!full.includes('-X OTHER'), 'other chains are left alone');

  await mode.sync(
    snapshot([
      [a, [ep('10.42.0.2', 80), ep('10.42.0.4', 80)]],
      [b, [ep('10.42.0.3', 80)]],
    ]),
    new Set([a.key]),
  );
  const partial = host.restores[1]!;
  assert.ok(partial.includes(`:${SA} - [0:0]`) && !partial.includes(`:${SB} - [0:0]`), "only the changed port's chains are declared");
  assert.ok(!partial.includes(':KUBE-SERVICES') && !partial.includes('*filter'), 'an endpoint change leaves the shared chains as they are');
  assert.ok(!partial.includes('-X '));
  const kept = endpointChain('ns/a:p', 'tcp', '10.42.0.2:80');
  const added = endpointChain('ns/a:p', 'tcp', '10.42.0.4:80');
  assert.ok(
    partial.includes(`:${added} - [0:0]`) && partial.includes(`-j ${kept}`),
    'the new endpoint chain is written; the service chain still goes to the old one',
  );
  assert.ok(
    !partial.includes(`:${kept} `) && !partial.includes(`-A ${kept} `),
    'the endpoint chain that stayed the same is not rewritten (as kube-proxy skips unchanged KUBE-SEP chains)',
  );

  await mode.sync(snapshot([[b, [ep('10.42.0.3', 80)]]]), new Set([a.key]));
  const removal = host.restores[2]!;
  assert.ok(removal.includes(`-X ${SA}\n`), "the removed port's chains are deleted");
  assert.ok(removal.includes(':KUBE-SERVICES - [0:0]') && removal.includes(`-j ${SB}`), 'KUBE-SERVICES is rewritten, still jumping to the unchanged port');
  assert.equal((removal.match(/^-X KUBE-SEP-/gm) ?? []).length, 2);
});

test('mode: a rule iptables rejects leaves its Service out; the others are written in the same sync', async () => {
  const host = new FakeHost();
  const mode = new IptablesMode({ log: quiet, host });
  const good = port('ns', 'good', 'p', { clusterIPs: ['10.43.0.5'] });
  const bad = port('ns', 'bad', 'p', { clusterIPs: ['10.43.0.7'] });
  host.fail = (text) => {
    const i = text.split('\n').findIndex((l) => l.includes('10.43.0.7'));
    return i >= 0 ? { code: 2, stdout: '', stderr: `iptables-restore v1.8.9 (nf_tables): line ${i + 1} failed\n` } : undefined;
  };
  await mode.sync(
    snapshot([
      [good, [ep('10.42.0.2', 80)]],
      [bad, [ep('10.42.0.3', 80)]],
    ]),
    'all',
  );
  assert.equal(host.restores.length, 2);
  assert.ok(host.restores[1]!.includes('10.43.0.5') && !host.restores[1]!.includes('10.43.0.7'));
  assert.deepEqual([...mode.skipped().keys()], ['ns/bad:p']);

  // A failure no Service can be blamed for is thrown (the runner retries with back-off).
  host.fail = () => ({ code: 1, stdout: '', stderr: "iptables-restore: unable to initialize table 'nat'" });
  await assert.rejects(mode.sync(snapshot([[good, [ep('10.42.0.2', 80)]]]), new Set([good.key])), /unable to initialize/);
});

test('mode: a UDP endpoint that goes has its conntrack entries deleted; a UDP port that gets its first endpoint flushes entries of the reject', async () => {
  const host = new FakeHost();
  const mode = new IptablesMode({ log: quiet, host });
  const dns = port('kube-system', 'dns', 'dns', { protocol: 'UDP', port: 53, clusterIPs: ['10.43.0.10'] });
  await mode.sync(snapshot([[dns, []]]), 'all');
  assert.deepEqual(host.conntrack, []);
  await mode.sync(snapshot([[dns, [ep('10.42.0.8', 53), ep('10.42.0.9', 53)]]]), new Set([dns.key]));
  assert.deepEqual(host.conntrack, [['-p', 'udp', '--orig-dst', '10.43.0.10']]);
  host.conntrack = [];
  await mode.sync(snapshot([[dns, [ep('10.42.0.9', 53)]]]), new Set([dns.key]));
  assert.deepEqual(host.conntrack, [['-p', 'udp', '--orig-dst', '10.43.0.10', '--dst-nat', '10.42.0.8']]);
});
