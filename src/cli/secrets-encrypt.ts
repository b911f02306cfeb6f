// `skiff secrets-encrypt status|rotate-keys`: asks the running server, as an administrator
// (the admin kubeconfig), how its stored Secrets are sealed, or to rotate the key — the
// server does the work, since only it may rewrite its store while it runs.
import { join, resolve } from 'node:path';
import { ENCRYPT_PATH } from '../apiserver/encryption/routes.js';
import type { EncryptionStatus } from '../apiserver/encryption/key-rotation.js';
import { HttpsTransport } from '../client/https-transport.js';
import { defaultDataDir } from './data-dir.js';

export interface SecretsEncryptFlags {
  dataDir?: string;
  kubeconfig?: string;
}

function printStatus(s: EncryptionStatus): void {
  const lines = ['Encryption Status: Enabled', `Configuration: ${s.configFile}`, '', 'Active  Key'];
  for (const k of s.keys) lines.push(`${k.active ? ' *' : '  '}      ${k.id}`);
  lines.push('', 'Stored values by key:');
  const counts = Object.entries(s.sealedWith);
  if (!counts.length) lines.push('  (none stored yet)');
  for (const [id, n] of counts) lines.push(`  ${id}: ${n}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runSecretsEncrypt(command: string, flags: SecretsEncryptFlags): Promise<void> {
  const kubeconfig = resolve(flags.kubeconfig ?? join(flags.dataDir ?? defaultDataDir(), 'kubeconfig.yaml'));
  const t = HttpsTransport.fromKubeconfig(kubeconfig);
  if (command === 'status') {
    printStatus((await t.request({ method: 'GET', path: `${ENCRYPT_PATH}/status` })) as EncryptionStatus);
    return;
  }
  if (command === 'rotate-keys' || command === 'rotate') {
    const r = (await t.request({ method: 'POST', path: `${ENCRYPT_PATH}/rotate-keys`, body: {} })) as { key: string; rewritten: number };
    process.stdout.write(`keys rotated: new writes are sealed with ${r.key}; ${r.rewritten} stored values rewritten; the old keys are removed\n`);
    return;
  }
  throw new Error(`unknown secrets-encrypt command ${JSON.stringify(command)}: use status or rotate-keys`);
}
