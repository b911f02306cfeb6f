// Wires the apiserver together: store → watch cache → resource storage (+ admission) →
// handlers → HTTPS, and the in-process transport for components in the same process.
import type { AddressInfo } from 'node:net';
import type https from 'node:https';
import type { ResourceRegistry } from '../api/registry.js';
import type { ResourceDef } from '../api/types.js';
import type { AggregatedApiServer } from '../api/aggregated.js';
import type { Store } from '../storage/store.js';
import { namespaceLifecycle } from './admission/namespace-lifecycle.js';
import { defaultTolerationSeconds } from './admission/default-tolerations.js';
import { defaultStorageClass } from './admission/default-storage-class.js';
import { storageObjectInUseProtection } from './admission/storage-protection.js';
import { bootstrapTokenAuthenticator, bootstrapTokenSecret, JOIN_TOKEN_GROUP } from './auth/bootstrap-token.js';
import { bootstrapTokenOf } from './auth/join-token.js';
import { serviceAccountAdmission } from './admission/service-account.js';
import { serveAuthentication, type AuthenticationOptions, type ServedAuthentication } from './auth/serve.js';
import type { TokenAuthenticator } from './auth/authenticator.js';
import { Authorization } from './auth/authorization.js';
import type { AuthorizationMode } from './auth/union.js';
import { ServiceAllocator } from './admission/service-allocator.js';
import { resourceQuotaAdmission } from './admission/resource-quota.js';
import { CRDController } from './crd/controller.js';
import { ApiHandler } from './handler.js';
import { EndpointReconciler } from './endpoint-reconciler.js';
import { createApiHttpServer } from './http-server.js';
import type { ConnectionLimits } from './connection-limits.js';
import { storeCheck } from './health.js';
import type { ApiServerMetrics } from './metrics/index.js';
import { InProcessTransport } from './in-process-transport.js';
import { OpenApiService } from './openapi/index.js';
import { ResourceStorage } from './rest/resource-store.js';
import { PodStreams, type KubeletClientConfig } from './rest/pod-streams.js';
import { StoreError } from '../storage/store.js';
import type { UserInfo } from './types.js';
import { WatchCache } from './watch-cache.js';
import type { SecretsEncryption } from './encryption/key-rotation.js';
import type { Auditor } from './audit/recorder.js';
import { KUBERNETES_SLICE_KEY, kubernetesEndpointSlice } from './kubernetes-endpointslice.js';
import { type FlowControlSetup, setUpFlowControl } from './flowcontrol/setup.js';

/** How often the `kubernetes` Service is checked for (Kubernetes' bootstrap controller uses its endpoint interval). */
const KUBERNETES_SERVICE_INTERVAL_MS = 3_000;

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0+skiff' };

export interface ApiServerOptions {
  store: Store;
  registry: ResourceRegistry;
  tls: { key: string; cert: string; ca: string };
  bindAddress: string;
  port: number;
  /** Static bearer tokens (--token-auth-file). */
  tokens?: Map<string, UserInfo>;
  /** Service-account tokens, issuer discovery, anonymous requests, impersonation's authorizer. */
  authentication?: AuthenticationOptions;
  /** Secret that node agents join with (the part after `::server:` of the join token): published as a bootstrap token. */
  nodeJoinSecret?: string;
  /** Range for Service cluster IPs; default 10.43.0.0/16. */
  serviceCIDR?: string;
  /** Address other machines and pods reach this apiserver at (the `kubernetes` Endpoints). */
  advertiseAddress?: string;
  /** The client certificate for calling node agents (Pki.kubeletClientCert/Key); without it logs/exec/port-forward answer 503. */
  kubeletClient?: KubeletClientConfig;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** --request-timeout and the connection limits of the HTTPS server. */
  limits?: ConnectionLimits;
  /** --authorization-mode, in order; default Node,RBAC. */
  authorizationModes?: AuthorizationMode[];
  /** Audit of every HTTPS request, when a policy and a log are configured. */
  auditor?: Auditor;
  /** Encryption at rest (status and key rotation), when the store seals values. */
  encryption?: SecretsEncryption;
  /** --enable-priority-and-fairness, --max-requests-inflight, --max-mutating-requests-inflight. */
  flowControl?: FlowControlSetup['flags'];
  /** Request, watch and store series, served at GET /metrics. */
  metrics?: ApiServerMetrics;
}

/** A token check that knows only users, as a link of the authenticator chain. */
function tokenAuthenticator(check: (token: string) => UserInfo | undefined): TokenAuthenticator {
  return {
    authenticateToken(token: string) {
      const user = check(token);
      return user ? { user } : undefined;
    },
  };
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class ApiServer {
  readonly cache: WatchCache;
  readonly storage: ResourceStorage;
  readonly handler: ApiHandler;
  readonly allocator: ServiceAllocator;
  readonly crds: CRDController;
  /** The authenticator chain and service-account tokens, with their API (TokenReview, TokenRequest…). */
  readonly authn: ServedAuthentication;
  readonly authorization: Authorization;
  private http?: https.Server;
  private ready = false;
  private endpoints?: EndpointReconciler;
  private serviceTimer?: NodeJS.Timeout;
  readonly flowControl: FlowControlSetup;

  constructor(private readonly opts: ApiServerOptions) {
    this.cache = new WatchCache(opts.store);
    this.storage = new ResourceStorage(opts.store, this.cache, opts.registry);
    this.allocator = new ServiceAllocator(this.cache, opts.serviceCIDR ?? '10.43.0.0/16');
    this.storage.admission.push(
      namespaceLifecycle(this.cache),
      ...(opts.authentication?.serviceAccountAdmission ? [serviceAccountAdmission(this.cache)] : []),
      this.allocator.hook(),
      defaultTolerationSeconds(),
      defaultStorageClass(this.cache),
      storageObjectInUseProtection(),
    );
    // Quota last, so that only objects every other check admitted are charged.
    this.storage.admission.push(resourceQuotaAdmission(this.storage));
    this.handler = new ApiHandler(this.storage, opts.registry);
    this.authorization = new Authorization(this.storage, opts.authorizationModes, opts.log);
    this.authorization.install(this.handler);
    this.crds = new CRDController(this.storage, opts.registry, opts.log);
    this.authn = serveAuthentication(this.handler, this.cache, {
      ...opts.authentication,
      tokens: opts.tokens,
      // Bootstrap tokens (Secrets in kube-system), which the agents' join token is one of.
      extraTokens: [tokenAuthenticator(bootstrapTokenAuthenticator((name) => this.cache.get(`/registry/secrets/kube-system/${name}`)))],
    });
    this.flowControl = setUpFlowControl(opts.flowControl ?? {}, this.storage, this.cache, opts.registry, opts.log);
  }

  /** Loads the cache, creates the system namespaces, and starts serving. Resolves with the bound port. */
  async start(): Promise<number> {
    await this.cache.start();
    await this.bootstrap();
    await this.authorization.start();
    await this.publishJoinToken();
    await this.crds.start();
    await this.flowControl.start();
    this.http = createApiHttpServer({
      tls: this.opts.tls,
      handler: this.handler,
      registry: this.opts.registry,
      openapi: new OpenApiService(this.opts.registry),
      authenticator: this.authn.chain,
      authorizer: this.opts.authentication?.authorizer ?? this.authorization.authorizer,
      oidc: this.authn.oidc(),
      ready: () => this.ready,
      encryption: this.opts.encryption,
      auditor: this.opts.auditor,
      healthChecks: [storeCheck(this.opts.store)],
      metrics: this.opts.metrics,
      podStreams: new PodStreams(this.storage, this.opts.registry, this.opts.kubeletClient),
      version: {
        ...KUBERNETES_VERSION,
        gitCommit: 'skiff',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: `node${process.versions.node}`,
        compiler: 'tsc',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      },
      log: this.opts.log,
      limits: this.opts.limits,
      flowControl: this.flowControl.hook,
    });
    const http = this.http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.bindAddress, () => resolve());
    });
    const port = (http.address() as AddressInfo).port;
    await this.reconcileKubernetesService(port);
    this.ready = true;
    return port;
  }

  /**
   * The `kubernetes` Service in default and its Endpoints, pointing at this apiserver —
   * kept by the apiserver itself, as Kubernetes' endpoint reconciler does.
   */
  private async reconcileKubernetesService(port: number): Promise<void> {
    const reg = this.opts.registry;
    const svcDef = reg.lookup('', 'v1', 'services');
    const epDef = reg.lookup('', 'v1', 'endpoints');
    const sliceDef = reg.lookup('discovery.k8s.io', 'v1', 'endpointslices');
    if (!svcDef || !epDef) return;
    await this.ensureKubernetesService(svcDef, port);
    // As kube-apiserver's bootstrap controller: a deleted `kubernetes` Service comes back within seconds.
    const again = () => {
      this.serviceTimer = setTimeout(() => {
        this.ensureKubernetesService(svcDef, port)
          .catch((err) => this.opts.log?.('kubernetes service reconcile failed', { error: (err as Error).message }))
          .finally(() => this.serviceTimer && again());
      }, KUBERNETES_SERVICE_INTERVAL_MS);
      this.serviceTimer.unref();
    };
    again();
    const address = this.opts.advertiseAddress;
    // Endpoints may not hold loopback addresses: a server bound to loopback has none to publish.
    if (!address || address.startsWith('127.') || address === '::1') return;
    this.endpoints = new EndpointReconciler({
      store: this.opts.store,
      address,
      port,
      // A missing slice counts as missing Endpoints, so that the next reconcile writes both.
      current: () => (sliceDef && !this.cache.get(KUBERNETES_SLICE_KEY) ? undefined : this.cache.get('/registry/endpoints/default/kubernetes')),
      write: async (ep) => {
        await this.storage.update(epDef, 'default', 'kubernetes', ep, undefined);
        if (!sliceDef) return;
        const cur = this.cache.get(KUBERNETES_SLICE_KEY);
        try {
          if (cur) await this.storage.update(sliceDef, 'default', 'kubernetes', kubernetesEndpointSlice(ep, cur), undefined);
          else await this.storage.create(sliceDef, 'default', kubernetesEndpointSlice(ep));
        } catch (err) {
          // Another server sharing the store wrote it first; the next reconcile converges.
          if ((err as { code?: number }).code !== 409) throw err;
        }
      },
      onError: (err) => this.opts.log?.('kubernetes endpoints reconcile failed', { error: err.message }),
    });
    await this.endpoints.start();
  }

  /** Kubernetes' bootstrap-controller step: the Service exists, on the first IP of the range, targeting this server's port. */
  private async ensureKubernetesService(svcDef: ResourceDef, port: number): Promise<void> {
    const ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }];
    const existing = this.cache.get('/registry/services/default/kubernetes');
    if (!existing) {
      try {
        await this.storage.create(svcDef, 'default', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: { type: 'ClusterIP', clusterIP: this.allocator.firstIP, ports, sessionAffinity: 'None' },
        });
      } catch (err) {
        // Another server sharing the store created it first (409 AlreadyExists).
        if ((err as { code?: number }).code !== 409) throw err;
      }
    } else if (existing.spec?.ports?.[0]?.targetPort !== port) {
      await this.storage.update(
        svcDef,
        'default',
        'kubernetes',
        { ...existing, metadata: { ...existing.metadata, resourceVersion: undefined }, spec: { ...existing.spec, ports } },
        undefined,
      );
    }
  }

  private async bootstrap(): Promise<void> {
    const def = this.opts.registry.lookup('', 'v1', 'namespaces');
    if (!def) return;
    for (const name of SYSTEM_NAMESPACES) {
      if (this.cache.get(`/registry/namespaces/${name}`)) continue;
      try {
        await this.storage.create(def, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (err) {
        if (!(err instanceof StoreError) && (err as { code?: number }).code !== 409) throw err;
      }
    }
  }

  /** The join secret as the bootstrap token Secret agents authenticate with, kept as the server's --token says. */
  private async publishJoinToken(): Promise<void> {
    const def = this.opts.registry.lookup('', 'v1', 'secrets');
    if (!def || !this.opts.nodeJoinSecret) return;
    const t = bootstrapTokenOf(this.opts.nodeJoinSecret);
    const want = bootstrapTokenSecret(t.id, t.secret, { description: "The server's agent join token.", extraGroups: [JOIN_TOKEN_GROUP] });
    const name = want.metadata!.name as string;
    const cur = this.cache.get(`/registry/secrets/kube-system/${name}`);
    if (cur && JSON.stringify(cur.data) === JSON.stringify(want.data) && cur.type === want.type) return;
    try {
      if (cur) await this.storage.update(def, 'kube-system', name, { ...want, metadata: { ...want.metadata, resourceVersion: undefined } }, undefined);
      else await this.storage.create(def, 'kube-system', want);
    } catch (err) {
      // Another server sharing the store wrote it first.
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }

  /** Serves an API group owned by another component (metrics.k8s.io) through this apiserver and its discovery. */
  addAggregatedApi(api: AggregatedApiServer): void {
    this.handler.aggregated.add(api);
  }

  /** A client transport for components in this process. */
  transport(user?: UserInfo, userAgent?: string): InProcessTransport {
    return new InProcessTransport(this.handler, user, userAgent, this.opts.metrics);
  }

  async stop(): Promise<void> {
    this.ready = false;
    clearTimeout(this.serviceTimer);
    this.serviceTimer = undefined;
    // While the store is still open: the others stop listing this server.
    await this.endpoints?.stop().catch((err) => this.opts.log?.('could not withdraw from the kubernetes endpoints', { error: (err as Error).message }));
    this.crds.stop();
    this.authorization.stop();
    this.flowControl.stop();
    const http = this.http;
    if (http) {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
    this.opts.auditor?.close();
    this.cache.stop();
  }
}
