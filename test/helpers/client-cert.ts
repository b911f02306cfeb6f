// A client certificate CN=<user>, O=<group>… from a server's CA (DATA_DIR/tls), made with
// openssl, and a kubeconfig that logs in with it: a non-admin user for tests and benchmarks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

export function issueClientCert(dataDir: string, user: string, groups: string[]): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-client-cert-'));
  try {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('ext'), 'extendedKeyUsage=clientAuth\n');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('key')]);
    const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${user}`;
    execFileSync('openssl', ['req', '-new', '-key', f('key'), '-subj', subject, '-out', f('csr')]);
    const tls = join(dataDir, 'tls');
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        f('csr'),
        '-CA',
        join(tls, 'ca.crt'),
        '-CAkey',
        join(tls, 'ca.key'),
        '-CAcreateserial',
        '-CAserial',
        f('srl'),
        '-days',
        '1',
        '-extfile',
        f('ext'),
        '-out',
        f('crt'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(f('crt'), 'utf8'), key: readFileSync(f('key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A copy of `adminKubeconfig` that logs in as `user` (written to `path`, mode 0600). */
export function userKubeconfig(adminKubeconfig: string, dataDir: string, path: string, user: string, groups: string[] = []): string {
  const { cert, key } = issueClientCert(dataDir, user, groups);
  const doc = YAML.parse(readFileSync(adminKubeconfig, 'utf8'));
  for (const u of doc.users) {
    u.user = { 'client-certificate-data': Buffer.from(cert).toString('base64'), 'client-key-data': Buffer.from(key).toString('base64') };
  }
  writeFileSync(path, YAML.stringify(doc), { mode: 0o600 });
  return path;
}
