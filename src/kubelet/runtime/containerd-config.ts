// The containerd configuration the agent writes for the containerd it supervises: its
// own root, state and sockets under the data dir (so it never meets a system containerd),
// the CRI plugin with Skiff's pause image, CNI from the data dir, and registry host
// configs from its certs.d directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const PAUSE_IMAGE = 'skiff.local/pause:3.10';
export const CNI_BIN_DIR = '/usr/lib/cni';

export interface ContainerdLayout {
  /** DATA_DIR/agent/containerd */
  dir: string;
  root: string;
  state: string;
  socket: string;
  config: string;
  log: string;
  /** Registry host configs (containerd's certs.d: <host[:port]>/hosts.toml), read on every pull. */
  certsDir: string;
}

export function containerdLayout(agentDir: string): ContainerdLayout {
  const dir = join(agentDir, 'containerd');
  return {
    dir,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: join(dir, 'containerd.sock'),
    config: join(dir, 'config.toml'),
    log: join(dir, 'containerd.log'),
    certsDir: join(dir, 'certs.d'),
  };
}

export interface ContainerdConfigOptions {
  layout: ContainerdLayout;
  cniConfDir: string;
  cniBinDir?: string;
  snapshotter: 'overlayfs' | 'native';
  streamPort: number;
  systemdCgroup: boolean;
  /** Without CAP_SYS_RESOURCE no process may lower its oom_score_adj: containerd must not ask for it. */
  restrictOomScoreAdj?: boolean;
  sandboxImage?: string;
}

const q = (s: string) => JSON.stringify(s);

export function containerdConfigToml(o: ContainerdConfigOptions): string {
  const l = o.layout;
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    '# Written by the skiff node agent; rewritten on every start.',
    'version = 2',
    `root = ${q(l.root)}`,
    `state = ${q(l.state)}`,
    '',
    '[grpc]',
    `  address = ${q(l.socket)}`,
    '[ttrpc]',
    `  address = ${q(`${l.socket}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
    // The opt plugin would otherwise install into /opt/containerd, shared with any other containerd.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(l.dir, 'opt'))}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(o.sandboxImage ?? PAUSE_IMAGE)}`,
    '  stream_server_address = "127.0.0.1"',
    `  stream_server_port = ${q(String(o.streamPort))}`,
    '  enable_selinux = false',
    '  enable_tls_streaming = false',
    `  restrict_oom_score_adj = ${o.restrictOomScoreAdj ?? false}`,
    // Pod network namespaces live under our state dir, not the host-wide /run/netns: another
    // tool that bind-mounts /run/netns onto itself (ip netns add, CNI's test helpers) would
    // otherwise hide the mounts of sandboxes made before it, and removing them fails with EBUSY.
    '  netns_mounts_under_state_dir = true',
    `[${cri}.containerd]`,
    `  snapshotter = ${q(o.snapshotter)}`,
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    `  SystemdCgroup = ${o.systemdCgroup}`,
    `[${cri}.cni]`,
    `  bin_dir = ${q(o.cniBinDir ?? CNI_BIN_DIR)}`,
    `  conf_dir = ${q(o.cniConfDir)}`,
    '  max_conf_num = 1',
    // No mirrors: images come from imports or the registry named in the image. Operators
    // configure a registry (its CA, plain HTTP, a mirror) with a hosts.toml under certs.d;
    // without one, loopback registries (localhost, 127.0.0.1) are spoken to in plain HTTP.
    `[${cri}.registry]`,
    `  config_path = ${q(l.certsDir)}`,
    '',
  ].join('\n');
}

/** systemd as PID 1 means cgroups belong to it; otherwise runc manages cgroupfs itself. */
export function systemdIsInit(): boolean {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

const CAP_SYS_RESOURCE = 24;

/** Whether this process may set negative oom_score_adj (some sandboxes drop CAP_SYS_RESOURCE even for root). */
export function hasCapSysResource(status = '/proc/self/status'): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync(status, 'utf8'));
    return !!m && ((BigInt(`0x${m[1]}`) >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** overlayfs when the kernel mounts it on this filesystem (not e.g. on overlay-on-overlay), else native. */
export function pickSnapshotter(under: string): 'overlayfs' | 'native' {
  mkdirSync(under, { recursive: true });
  const dir = mkdtempSync(join(under, 'overlay-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, `${dir}/merged`], {
      timeout: 10_000,
    });
    if (r.status !== 0) return 'native';
    spawnSync('umount', [`${dir}/merged`], { timeout: 10_000 });
    return 'overlayfs';
  } finally {
    if (!existsSync(join(dir, 'merged')) || spawnSync('mountpoint', ['-q', join(dir, 'merged')]).status !== 0) rmSync(dir, { recursive: true, force: true });
  }
}
