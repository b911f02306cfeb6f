// The images Skiff's tests and its node agent need, built from Debian's busybox-static
// (no registry is reachable here): a shell image, a web server image, and the pause image.
import { existsSync, readFileSync } from 'node:fs';
import type { TarEntry } from './tar.js';
import type { ImageSpec } from './oci.js';

export const BUSYBOX_PATH = '/bin/busybox';
export const IMAGE_REGISTRY = 'skiff.local';

// Applets linked into /bin: what tests and users reach for inside a pod.
const APPLETS = [
  'sh',
  'ash',
  'cat',
  'cp',
  'echo',
  'env',
  'false',
  'grep',
  'head',
  'hostname',
  'httpd',
  'id',
  'ip',
  'kill',
  'ls',
  'mkdir',
  'mv',
  'nc',
  'nslookup',
  'ping',
  'ps',
  'pwd',
  'rm',
  'sed',
  'seq',
  'sleep',
  'sync',
  'tail',
  'tar',
  'tee',
  'test',
  'timeout',
  'top',
  'touch',
  'true',
  'uname',
  'wc',
  'whoami',
  'dd',
  'df',
  'du',
  'date',
  'find',
  'mount',
  'umount',
  'sort',
  'tr',
  'xargs',
  'yes',
  'stat',
  'chmod',
  'chown',
  'ln',
  'readlink',
  'printf',
  'expr',
  'netstat',
  'ifconfig',
  'route',
  'vi',
  'less',
  'more',
  'od',
  'md5sum',
  'sha256sum',
  'base64',
  'nohup',
  'usleep',
];

/**
 * /bin/wget. Debian's busybox-static is built without wget's timeout feature, yet its option
 * parser still accepts -T and stores the number through a null pointer: `wget -T 3` dies with
 * SIGSEGV. This wrapper takes -T N, -TN, -qT N and --timeout=N off the command line and bounds
 * the whole transfer with busybox's `timeout` instead (an upper bound of the per-operation
 * timeout wget's -T sets), reporting a timeout as wget does: "download timed out", exit 1.
 */
export const WGET_WRAPPER = `#!/bin/sh
t=
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case $a in
    --) set -- "$@" "$a"; while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done; break ;;
    -T|--timeout) t=$1; shift; n=$((n - 1)); continue ;;
    -T*) t=\${a#-T}; continue ;;
    --timeout=*) t=\${a#--timeout=}; continue ;;
    -[cqS]*T) t=$1; shift; n=$((n - 1)); a=\${a%T} ;;
    -[cqS]*T*) t=\${a#*T}; a=\${a%%T*} ;;
  esac
  set -- "$@" "$a"
done
case $t in
  ''|0) exec /bin/busybox wget "$@" ;;
  *[!0-9]*) echo "wget: invalid number '$t'" >&2; exit 1 ;;
esac
/bin/busybox timeout -s TERM "$t" /bin/busybox wget "$@"
rc=$?
if [ "$rc" -eq 143 ]; then echo 'wget: download timed out' >&2; exit 1; fi
exit "$rc"
`;

export function busyboxAvailable(path = BUSYBOX_PATH): boolean {
  if (!existsSync(path)) return false;
  // A dynamically linked busybox would need libc inside the image: require the static one.
  const head = readFileSync(path).subarray(0, 4096).toString('latin1');
  return !head.includes('/lib64/ld-linux') && !head.includes('/lib/ld-linux');
}

function rootfs(extra: TarEntry[] = [], path = BUSYBOX_PATH): TarEntry[] {
  const entries: TarEntry[] = [
    { type: 'dir', name: 'bin' },
    { type: 'file', name: 'bin/busybox', data: readFileSync(path), mode: 0o755 },
    ...APPLETS.map((a): TarEntry => ({ type: 'symlink', name: `bin/${a}`, target: 'busybox' })),
    { type: 'file', name: 'bin/wget', data: Buffer.from(WGET_WRAPPER), mode: 0o755 },
    { type: 'dir', name: 'etc' },
    { type: 'file', name: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { type: 'file', name: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { type: 'dir', name: 'tmp', mode: 0o1777 },
    { type: 'dir', name: 'root', mode: 0o700 },
    { type: 'dir', name: 'proc' },
    { type: 'dir', name: 'sys' },
    { type: 'dir', name: 'dev' },
    { type: 'dir', name: 'var' },
    { type: 'dir', name: 'usr' },
    { type: 'symlink', name: 'usr/bin', target: '../bin' },
  ];
  return [...entries, ...extra];
}

/** skiff.local/busybox:1.35 — a shell; runs `sh` by default. */
export function busyboxImage(path = BUSYBOX_PATH): ImageSpec {
  return { name: `${IMAGE_REGISTRY}/busybox:1.35`, layers: [rootfs([], path)], config: { cmd: ['sh'] } };
}

/** skiff.local/httpd:1.35 — busybox httpd serving /www on port 8080 in the foreground. */
export function httpdImage(path = BUSYBOX_PATH): ImageSpec {
  const page = Buffer.from('<html><body><h1>It works!</h1><p>Served by busybox httpd in a Skiff pod.</p></body></html>\n');
  return {
    name: `${IMAGE_REGISTRY}/httpd:1.35`,
    layers: [
      rootfs(
        [
          { type: 'dir', name: 'www' },
          { type: 'file', name: 'www/index.html', data: page },
        ],
        path,
      ),
    ],
    config: { cmd: ['httpd', '-f', '-v', '-p', '8080', '-h', '/www'], exposedPorts: [8080] },
  };
}

/**
 * skiff.local/pause:3.10 — the sandbox's placeholder process. As PID 1 it must not exit
 * and should die on SIGTERM: a shell that traps TERM and sleeps in the background does both.
 */
export function pauseImage(path = BUSYBOX_PATH): ImageSpec {
  return {
    name: `${IMAGE_REGISTRY}/pause:3.10`,
    layers: [rootfs([], path)],
    config: { entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'] },
  };
}
