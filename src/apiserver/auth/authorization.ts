// Authorization as --authorization-mode configures it: the authorizers in order (Node,
// RBAC, AlwaysAllow, AlwaysDeny), the indexes they read, the bootstrap policy and the
// ClusterRole aggregation, escalation prevention, NodeRestriction and the access reviews.
import { errors } from '../status.js';
import type { ApiHandler } from '../handler.js';
import type { ResourceStorage } from '../rest/resource-store.js';
import { AccessReviews } from './access-review.js';
import { NodeAuthorizer } from './node/node-authorizer.js';
import { NodeGraph } from './node/graph.js';
import { agentDnsRestriction } from './node/agent-dns-restriction.js';
import { nodeRestriction } from './node/node-restriction.js';
import { ClusterRoleAggregator } from './rbac/aggregation.js';
import { RbacAuthorizer } from './rbac/authorizer.js';
import { escalationCheck } from './rbac/escalation.js';
import { RbacIndex } from './rbac/rbac-index.js';
import { reconcileBootstrapPolicy } from './rbac/reconcile.js';
import { alwaysAllow, type Authorizer } from './types.js';
import { alwaysDeny, DEFAULT_AUTHORIZATION_MODES, UnionAuthorizer, type AuthorizationMode } from './union.js';

type Log = (msg: string, fields?: Record<string, unknown>) => void;

export class Authorization {
  readonly authorizer: Authorizer;
  readonly rbacIndex: RbacIndex;
  readonly rbac: RbacAuthorizer;
  readonly graph?: NodeGraph;
  private readonly aggregator: ClusterRoleAggregator;

  constructor(
    private readonly rs: ResourceStorage,
    readonly modes: AuthorizationMode[] = DEFAULT_AUTHORIZATION_MODES,
    private readonly log?: Log,
  ) {
    // The RBAC objects are indexed whatever the mode: access reviews and escalation checks read them.
    this.rbacIndex = new RbacIndex(rs.cache);
    this.rbac = new RbacAuthorizer(this.rbacIndex);
    const members: Authorizer[] = [];
    for (const m of modes) {
      if (m === 'AlwaysAllow') members.push(alwaysAllow);
      else if (m === 'AlwaysDeny') members.push(alwaysDeny);
      else if (m === 'RBAC') members.push(this.rbac);
      else if (m === 'Node') {
        this.graph ??= new NodeGraph(rs.cache);
        members.push(new NodeAuthorizer(this.graph));
      }
    }
    this.authorizer = new UnionAuthorizer(members);
    this.aggregator = new ClusterRoleAggregator(rs, log);
    rs.admission.push(escalationCheck(() => this.authorizer, this.rbac, this.rbacIndex));
    if (this.graph) rs.admission.push(nodeRestriction(rs.cache));
    rs.admission.push(agentDnsRestriction());
  }

  /** Guards `handler` and serves the access reviews through it. */
  install(handler: ApiHandler): void {
    handler.authorizer = this.authorizer;
    const reviews = new AccessReviews(
      () => this.authorizer,
      () => this.rbac,
    );
    for (const plural of ['subjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews'])
      handler.answered.set(`authorization.k8s.io/${plural}`, (req, def) => {
        const r = reviews.serve(def, req);
        if (!r) throw errors.pageNotFound(`/apis/authorization.k8s.io/v1/${plural}`);
        return r;
      });
  }

  /** After the watch cache is loaded: follow it, put the bootstrap policy in place, aggregate. */
  async start(): Promise<void> {
    this.rbacIndex.start();
    this.graph?.start();
    await reconcileBootstrapPolicy(this.rs, this.log);
    this.aggregator.start();
  }

  stop(): void {
    this.aggregator.stop();
    this.rbacIndex.stop();
    this.graph?.stop();
  }
}
