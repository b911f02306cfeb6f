// Service-account issuer discovery, as kube-apiserver serves it: the OpenID provider
// configuration at /.well-known/openid-configuration and the public keys at /openid/v1/jwks,
// so that other parties can verify the cluster's service-account tokens.
import type { ServiceAccountKey } from './service-account-key.js';

export const OIDC_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

export interface OidcDocuments {
  configuration: string;
  jwks: string;
}

export function oidcDocuments(issuer: string, keys: ServiceAccountKey[], jwksUri?: string): OidcDocuments {
  const configuration = {
    issuer,
    jwks_uri: jwksUri ?? `${issuer.replace(/\/$/, '')}${JWKS_PATH}`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
  const jwks = {
    keys: keys.map((k) => {
      const { n, e } = k.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
      return { use: 'sig', kty: 'RSA', kid: k.keyId, alg: 'RS256', n, e };
    }),
  };
  return { configuration: JSON.stringify(configuration), jwks: JSON.stringify(jwks) };
}
