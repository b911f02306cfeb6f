// The key pair that signs service-account tokens: RSA 2048, generated into the data dir on
// first start (private key 0600), as kube-apiserver's --service-account-signing-key-file.
// The key id is what kube-apiserver derives: base64url(SHA-256(DER public key)).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileDurable } from '../../util/durable-file.js';

export interface ServiceAccountKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

export function serviceAccountKeyFromPem(pem: string): ServiceAccountKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function generateServiceAccountKey(): ServiceAccountKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return serviceAccountKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** DATA_DIR/tls/service-account.key, created (0600, written atomically) when absent. */
export function ensureServiceAccountKey(dataDir: string): ServiceAccountKey {
  const path = join(dataDir, 'tls', 'service-account.key');
  if (existsSync(path)) {
    try {
      return serviceAccountKeyFromPem(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`service-account signing key ${path} is unreadable: ${(err as Error).message}`);
    }
  }
  const key = generateServiceAccountKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileDurable(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  return key;
}
