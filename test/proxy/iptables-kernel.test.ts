// The iptables mode against the real iptables, inside a network namespace this test creates
// (and deletes, with every rule in it): the kernel accepts every rule kind the generator
// writes, a rejected Service is left out while the others are programmed, intact() notices
// rules removed by someone else, partial syncs delete a removed Service's chains, and
// cleanup leaves no KUBE- chain behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { backendBinaries } from '../../src/proxy/iptables/backend.js';
import { iptablesHostIn } from '../../src/proxy/iptables/exec.js';
import { IptablesMode } from '../../src/proxy/iptables/mode.js';
import { serviceChain } from '../../src/proxy/iptables/chain-names.js';
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../../src/proxy/types.js';
import { ep, port } from './fixtures.js';

const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (creates a network namespace)';
  for (const bin of ['iptables-restore', 'iptables-save', 'ip']) if (spawnSync('which', [bin]).status !== 0) return `${bin} is not installed`;
  return undefined;
}

function snapshot(entries: [ServicePortInfo, EndpointInfo[]][]): ProxySnapshot {
  return { nodeName: 'n1', nodeIPs: [], services: new Map(entries.map(([s]) => [s.key, s])), endpoints: new Map(entries.map(([s, e]) => [s.key, e])) };
}

for (const backend of ['nft', 'legacy'] as const)
  test(`iptables mode (${backend} backend) in a network namespace: real rules, a rejected Service left out, repair detection, cleanup`, async (t) => {
    const why = missing();
    if (why) return t.skip(why);
    const ns = `skpt${process.pid}${Math.random().toString(36).slice(2, 6)}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, 'netns created');
    const bin = backendBinaries(backend);
    const tool = (cmd: string) => (cmd === 'iptables-save' ? bin.save : cmd === 'iptables' ? bin.iptables : cmd);
    const inNs = ([cmd, ...args]: string[]) => spawnSync('ip', ['netns', 'exec', ns, tool(cmd!), ...args], { encoding: 'utf8' });
    try {
      const mode = new IptablesMode({ log: quiet, clusterCIDR: '10.42.0.0/16', host: iptablesHostIn(ns, backend) });
      const web = port('ns', 'web', 'http', { clusterIPs: ['10.43.0.5'] });
      const lb = port('ns', 'lb', 'http', {
        clusterIPs: ['10.43.0.6'],
        nodePort: 30080,
        externalIPs: ['10.99.0.1'],
        loadBalancerIPs: ['10.99.0.2'],
        externalTrafficPolicyLocal: true,
        healthCheckNodePort: 32000,
        affinityTimeoutSeconds: 600,
      });
      const dns = port('kube-system', 'dns', 'dns', { protocol: 'UDP', port: 53, clusterIPs: ['10.43.0.10'] });
      const empty = port('ns', 'empty', '', { clusterIPs: ['10.43.0.7'], nodePort: 30081 });
      const bad = port('ns', 'bad', '', { clusterIPs: ['10.43.0.300'] });
      const all: [ServicePortInfo, EndpointInfo[]][] = [
        [web, [ep('10.42.0.2', 8080), ep('10.42.0.3', 8080)]],
        [lb, [ep('10.42.0.4', 8080, { isLocal: true }), ep('10.42.1.4', 8080)]],
        [dns, [ep('10.42.0.9', 53)]],
        [empty, []],
        [bad, [ep('10.42.0.5', 80)]],
      ];
      await mode.sync(snapshot(all), 'all');
      assert.deepEqual([...mode.skipped().keys()], ['ns/bad'], 'the Service whose rule the kernel refused');
      const nat = inNs(['iptables-save', '-t', 'nat']).stdout;
      const filter = inNs(['iptables-save', '-t', 'filter']).stdout;
      for (const c of [
        serviceChain('SVC', 'ns/web:http', 'tcp'),
        serviceChain('SVL', 'ns/lb:http', 'tcp'),
        serviceChain('EXT', 'ns/lb:http', 'tcp'),
        serviceChain('SVC', 'kube-system/dns:dns', 'udp'),
      ])
        assert.match(nat, new RegExp(`^:${c} `, 'm'), `${c} exists`);
      assert.match(nat, /-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES/);
      assert.match(nat, /--mode random --probability 0\.5/);
      assert.match(nat, /-m recent --rcheck --seconds 600 --reap --name KUBE-SEP-/);
      assert.match(nat, /-j MASQUERADE --random-fully/);
      assert.ok(!nat.includes('10.43.0.300'), 'nothing of the rejected Service');
      assert.match(
        filter,
        /-A KUBE-SERVICES -d 10\.43\.0\.7\/32 -p tcp -m comment --comment "ns\/empty has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable/,
      );
      assert.match(filter, /-A KUBE-NODEPORTS -p tcp -m comment --comment "ns\/lb:http health check node port" -m tcp --dport 32000 -j ACCEPT/);
      assert.equal(inNs(['sysctl', '-n', 'net.ipv4.conf.all.route_localnet']).stdout.trim(), '1');

      assert.equal(await mode.intact(), true);
      inNs(['iptables', '-t', 'nat', '-D', 'KUBE-SERVICES', '1']);
      assert.equal(await mode.intact(), false, 'a removed KUBE-SERVICES rule is noticed');
      await mode.sync(snapshot(all), 'all');
      assert.equal(await mode.intact(), true, 'a full sync repairs it');
      inNs(['iptables', '-t', 'nat', '-D', 'POSTROUTING', '-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING']);
      assert.equal(await mode.intact(), false, 'a removed hook is noticed');
      await mode.sync(snapshot(all), 'all');

      // Partial: web goes; its chains go with it, the others stay.
      await mode.sync(snapshot(all.filter(([s]) => s !== web)), new Set([web.key]));
      const after = inNs(['iptables-save', '-t', 'nat']).stdout;
      assert.ok(!after.includes(serviceChain('SVC', 'ns/web:http', 'tcp')), "the removed Service's chain is deleted");
      assert.ok(!after.includes('10.42.0.2:8080'));
      assert.ok(after.includes(serviceChain('EXT', 'ns/lb:http', 'tcp')));
      assert.equal(await mode.intact(), true);

      await mode.cleanup();
      const left = inNs(['iptables-save'])
        .stdout.split('\n')
        .filter((l) => l.includes('KUBE-'));
      assert.deepEqual(left, [], 'no KUBE- chain or jump left');
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
