// The containerd config the agent writes: everything under its own data dir, the CRI
// plugin with Skiff's pause image, CNI dirs, the chosen snapshotter and cgroup driver.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerdConfigToml, containerdLayout, hasCapSysResource } from '../../../src/kubelet/runtime/containerd-config.js';

test('the config keeps root, state and sockets under the data dir and configures CRI', () => {
  const layout = containerdLayout('/data/agent');
  assert.equal(layout.socket, '/data/agent/containerd/containerd.sock');
  const toml = containerdConfigToml({
    layout,
    cniConfDir: '/data/agent/cni/net.d',
    snapshotter: 'native',
    streamPort: 41234,
    systemdCgroup: false,
    restrictOomScoreAdj: true,
  });
  for (const line of [
    'version = 2',
    'root = "/data/agent/containerd/root"',
    'state = "/data/agent/containerd/state"',
    '  address = "/data/agent/containerd/containerd.sock"',
    '  address = "/data/agent/containerd/containerd.sock.ttrpc"',
    '  path = "/data/agent/containerd/opt"',
    '  sandbox_image = "skiff.local/pause:3.10"',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "41234"',
    '  restrict_oom_score_adj = true',
    '  netns_mounts_under_state_dir = true',
    '  snapshotter = "native"',
    '  runtime_type = "io.containerd.runc.v2"',
    '  SystemdCgroup = false',
    '  bin_dir = "/usr/lib/cni"',
    '  conf_dir = "/data/agent/cni/net.d"',
    '  config_path = "/data/agent/containerd/certs.d"',
  ])
    assert.ok(toml.split('\n').includes(line), `config has: ${line}\n${toml}`);
  // Paths are TOML strings: quotes and backslashes in them are escaped.
  const odd = containerdConfigToml({ layout: containerdLayout('/tmp/a "b"'), cniConfDir: '/x', snapshotter: 'overlayfs', streamPort: 1, systemdCgroup: true });
  assert.match(odd, /root = "\/tmp\/a \\"b\\"\/containerd\/root"/);
  assert.match(odd, /SystemdCgroup = true/);
});

test('CAP_SYS_RESOURCE is read from the effective capability set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-caps-'));
  try {
    const status = join(dir, 'status');
    writeFileSync(status, 'Name:\tx\nCapEff:\t000001ffffffffff\n');
    assert.equal(hasCapSysResource(status), true);
    writeFileSync(status, 'Name:\tx\nCapEff:\t000001fffeffffff\n');
    assert.equal(hasCapSysResource(status), false);
    assert.equal(hasCapSysResource(join(dir, 'missing')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
