// How to reach and authenticate to an apiserver over HTTPS (client-go's rest.Config): what a
// kubeconfig yields and what the HTTPS transport takes. Its own module, so that reading a
// kubeconfig does not import the transport that itself reads kubeconfigs.

export interface HttpsTransportOptions {
  /** e.g. https://127.0.0.1:6443 (a path prefix is kept; http: is accepted for proxies). */
  server: string;
  /** CA bundle (PEM) that the server's certificate must chain to; default: the system's. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) for x509 authentication. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Bearer token. */
  token?: string;
  insecureSkipTLSVerify?: boolean;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  tlsServerName?: string;
  userAgent?: string;
  /** How many times a 429 answer carrying Retry-After is retried; default 5. */
  maxRetries?: number;
  /** Longest honoured Retry-After, in seconds; default 30. */
  maxRetryAfterSeconds?: number;
  /**
   * A request (not a watch) fails when its socket is idle this long; default 60000 ms,
   * 0 for never. Watches rely on TCP keep-alive and the server's timeoutSeconds instead.
   */
  requestTimeoutMs?: number;
}
