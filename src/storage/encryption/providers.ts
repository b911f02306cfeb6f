// The value transformers of an EncryptionConfiguration, with Kubernetes' formats: a sealed
// value starts with `k8s:enc:<provider>:v1:<key name>:`, then the nonce or IV, then the
// ciphertext. AES-GCM binds the value to its storage key (a value copied to another key
// does not open); AES-CBC and secretbox do not, as in Kubernetes. Skiff's store holds
// text, so the bytes after the prefix are written base64-encoded.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import type { EncryptionKey, ProviderConfig, ProviderKind } from './config.js';

export interface Sealer {
  kind: ProviderKind;
  /** Names the key that seals: `aescbc:key1`, or `identity`. */
  id: string;
  /** Empty for identity, which matches every value. */
  prefix: string;
  seal(plain: string, storageKey: string): string;
  open(sealed: string, storageKey: string): string;
}

const AES_CIPHER: Record<number, string> = { 16: '128', 24: '192', 32: '256' };

function aesCbc(key: EncryptionKey): Pick<Sealer, 'seal' | 'open'> {
  const algo = `aes-${AES_CIPHER[key.secret.length]}-cbc`;
  return {
    seal(plain) {
      const iv = randomBytes(16);
      const c = createCipheriv(algo, key.secret, iv);
      return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
    },
    open(body) {
      const data = Buffer.from(body, 'base64');
      if (data.length < 32 || data.length % 16) throw new Error('the data is not a whole number of AES blocks');
      const d = createDecipheriv(algo, key.secret, data.subarray(0, 16));
      return Buffer.concat([d.update(data.subarray(16)), d.final()]).toString('utf8');
    },
  };
}

function aesGcm(key: EncryptionKey): Pick<Sealer, 'seal' | 'open'> {
  const algo = `aes-${AES_CIPHER[key.secret.length]}-gcm` as 'aes-256-gcm';
  return {
    seal(plain, storageKey) {
      const nonce = randomBytes(12);
      const c = createCipheriv(algo, key.secret, nonce);
      c.setAAD(Buffer.from(storageKey));
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64');
    },
    open(sealed, storageKey) {
      const data = Buffer.from(sealed, 'base64');
      if (data.length < 28) throw new Error('the data is shorter than a nonce and a tag');
      const d = createDecipheriv(algo, key.secret, data.subarray(0, 12));
      d.setAAD(Buffer.from(storageKey));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]).toString('utf8');
    },
  };
}

function secretbox(key: EncryptionKey): Pick<Sealer, 'seal' | 'open'> {
  return {
    seal(plain) {
      const nonce = randomBytes(24);
      const box = xsalsa20poly1305(key.secret, nonce).encrypt(Buffer.from(plain, 'utf8'));
      return Buffer.concat([nonce, box]).toString('base64');
    },
    open(sealed) {
      const data = Buffer.from(sealed, 'base64');
      if (data.length < 40) throw new Error('the data is shorter than a nonce and a tag');
      return Buffer.from(xsalsa20poly1305(key.secret, data.subarray(0, 24)).decrypt(data.subarray(24))).toString('utf8');
    },
  };
}

const MAKERS = { aescbc: aesCbc, aesgcm: aesGcm, secretbox };

const identity: Sealer = {
  kind: 'identity',
  id: 'identity',
  prefix: '',
  seal: (plain) => plain,
  open(sealed) {
    // Identity matches every value; one sealed under a key no longer configured must not pass as plain text.
    if (sealed.startsWith('k8s:enc:'))
      throw new Error(`the value is sealed with ${sealed.split(':').slice(2, 5).join(':')}, which the configuration no longer holds`);
    return sealed;
  },
};

/** One sealer per key, in the configuration's order: the first seals new writes. */
export function sealersOf(providers: ProviderConfig[]): Sealer[] {
  return providers.flatMap((p): Sealer[] => {
    if (p.kind === 'identity') return [identity];
    const make = MAKERS[p.kind];
    return p.keys.map((k) => {
      const prefix = `k8s:enc:${p.kind}:v1:${k.name}:`;
      const { seal, open } = make(k);
      return {
        kind: p.kind,
        id: `${p.kind}:${k.name}`,
        prefix,
        seal: (plain, sk) => prefix + seal(plain, sk),
        open: (v, sk) => open(v.slice(prefix.length), sk),
      };
    });
  });
}

/** The sealer a stored value was written with: the first whose prefix it carries (identity matches anything). */
export function sealerFor(sealers: Sealer[], value: string): Sealer | undefined {
  return sealers.find((s) => value.startsWith(s.prefix));
}
