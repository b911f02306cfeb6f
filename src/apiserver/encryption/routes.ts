// The server's own endpoints for `skiff secrets-encrypt` (k3s serves the same under
// /v1-k3s/encrypt/): status, and a key rotation. Cluster administrators only.
import { errors, StatusError } from '../status.js';
import type { UserInfo } from '../types.js';
import type { SecretsEncryption } from './key-rotation.js';

export const ENCRYPT_PATH = '/v1-skiff/encrypt';

export async function serveEncryptRoute(enc: SecretsEncryption | undefined, method: string, path: string, user: UserInfo): Promise<unknown> {
  if (!user.groups.includes('system:masters'))
    throw new StatusError(403, 'Forbidden', `forbidden: User "${user.username}" cannot ${method.toLowerCase()} path "${path}"`);
  if (!enc) throw errors.badRequest('secrets encryption is not enabled on this server (start it with --secrets-encryption or --encryption-provider-config)');
  if (path === `${ENCRYPT_PATH}/status` && method === 'GET') return enc.status();
  if (path === `${ENCRYPT_PATH}/rotate-keys` && method === 'POST') return enc.rotate();
  throw errors.pageNotFound(path);
}
