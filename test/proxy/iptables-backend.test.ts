// Choosing the iptables backend as kube-proxy's iptables-wrapper does: the one already holding
// Kubernetes' rules wins, then the one holding more rules; nothing anywhere means nft.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendBinaries, detectBackend, pickBackend, saveWeight } from '../../src/proxy/iptables/backend.js';

const LEGACY_WITH_KUBE = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n';
const NFT_WITH_DOCKER = '*nat\n:DOCKER - [0:0]\n-A PREROUTING -j DOCKER\n-A DOCKER -j RETURN\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n';

test('save dumps are weighed by KUBE- lines, then by rules', () => {
  assert.deepEqual(saveWeight(LEGACY_WITH_KUBE), { kube: 2, rules: 1 });
  assert.deepEqual(saveWeight(NFT_WITH_DOCKER), { kube: 0, rules: 3 });
  assert.equal(pickBackend(saveWeight(LEGACY_WITH_KUBE), saveWeight(NFT_WITH_DOCKER)), 'legacy', 'Kubernetes rules in legacy keep the node on legacy');
  assert.equal(pickBackend(saveWeight('-A INPUT -j DROP\n'), saveWeight('')), 'legacy', 'only legacy holds rules');
  assert.equal(pickBackend(saveWeight(''), saveWeight('')), 'nft', 'empty everywhere: nft');
  assert.equal(pickBackend(undefined, saveWeight('')), 'nft');
  assert.equal(pickBackend(saveWeight(''), undefined), 'legacy', 'only legacy installed');
});

test("detection runs each backend's save and binaries follow the choice", async () => {
  const ran: string[] = [];
  const exec = async (cmd: string) => {
    ran.push(cmd);
    return { code: 0, stdout: cmd === 'iptables-legacy-save' ? LEGACY_WITH_KUBE : '', stderr: '' };
  };
  assert.equal(await detectBackend(exec, () => true), 'legacy');
  assert.deepEqual(ran, ['iptables-legacy-save', 'iptables-nft-save']);
  assert.equal(await detectBackend(exec, (b) => !b.includes('legacy')), 'nft', 'no legacy binaries: nft');
  assert.equal(backendBinaries('legacy', () => true).restore, 'iptables-legacy-restore');
  assert.equal(backendBinaries('nft', () => true).save, 'iptables-nft-save');
  assert.equal(backendBinaries('nft', () => false).iptables, 'iptables', 'plain iptables where no -nft variant exists');
});
