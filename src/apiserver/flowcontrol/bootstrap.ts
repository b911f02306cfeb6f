// Kubernetes' bootstrap flow-control configuration (v1.32): the mandatory objects `exempt`
// and `catch-all`, and the suggested ones, with the same names, precedences, rules, shares
// and queue shapes, so that clusters and tools see the configuration they expect.
import type { KObject } from '../../api/types.js';

const API_VERSION = 'flowcontrol.apiserver.k8s.io/v1';
export const AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';

const meta = (name: string) => ({ name, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } });

function queued(shares: number, lendable: number, queues: number, handSize: number, queueLengthLimit = 50): KObject['spec'] {
  return {
    type: 'Limited',
    limited: { nominalConcurrencyShares: shares, lendablePercent: lendable, limitResponse: { type: 'Queue', queuing: { queues, handSize, queueLengthLimit } } },
  };
}

const pl = (name: string, spec: KObject['spec']): KObject => ({ apiVersion: API_VERSION, kind: 'PriorityLevelConfiguration', metadata: meta(name), spec });

export const MANDATORY_PRIORITY_LEVELS: KObject[] = [
  pl('exempt', { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } }),
  pl('catch-all', { type: 'Limited', limited: { nominalConcurrencyShares: 5, lendablePercent: 0, limitResponse: { type: 'Reject' } } }),
];

export const SUGGESTED_PRIORITY_LEVELS: KObject[] = [
  pl('system', queued(30, 33, 64, 6)),
  pl('node-high', queued(40, 25, 64, 6)),
  pl('leader-election', queued(10, 0, 16, 4)),
  pl('workload-high', queued(40, 50, 128, 6)),
  pl('workload-low', queued(100, 90, 128, 6)),
  pl('global-default', queued(20, 50, 128, 6)),
];

const users = (...names: string[]) => names.map((name) => ({ kind: 'User', user: { name } }));
const groups = (...names: string[]) => names.map((name) => ({ kind: 'Group', group: { name } }));
const kubeSystemSA = (...names: string[]) => names.map((name) => ({ kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name } }));

const resourceRule = (verbs: string[], apiGroups: string[], resources: string[], namespaces: string[], clusterScope: boolean) => ({
  verbs,
  apiGroups,
  resources,
  ...(namespaces.length ? { namespaces } : {}),
  clusterScope,
});
const ALL_RESOURCES = [resourceRule(['*'], ['*'], ['*'], ['*'], true)];
const ALL_NON_RESOURCES = [{ verbs: ['*'], nonResourceURLs: ['*'] }];
const everything = (subjects: object[]) => ({ subjects, resourceRules: ALL_RESOURCES, nonResourceRules: ALL_NON_RESOURCES });

function fs(name: string, level: string, precedence: number, distinguisher: 'ByUser' | 'ByNamespace' | undefined, ...rules: object[]): KObject {
  return {
    apiVersion: API_VERSION,
    kind: 'FlowSchema',
    metadata: meta(name),
    spec: {
      priorityLevelConfiguration: { name: level },
      matchingPrecedence: precedence,
      ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}),
      rules,
    },
  };
}

const LEASES = ['get', 'create', 'update'];

export const MANDATORY_FLOW_SCHEMAS: KObject[] = [
  fs('exempt', 'exempt', 1, undefined, everything(groups('system:masters'))),
  fs('catch-all', 'catch-all', 10000, 'ByUser', everything(groups('system:unauthenticated', 'system:authenticated'))),
];

export const SUGGESTED_FLOW_SCHEMAS: KObject[] = [
  fs('probes', 'exempt', 2, undefined, {
    subjects: groups('system:unauthenticated', 'system:authenticated'),
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }],
  }),
  fs('system-leader-election', 'leader-election', 100, 'ByUser', {
    subjects: [...users('system:kube-controller-manager', 'system:kube-scheduler'), ...kubeSystemSA('*')],
    resourceRules: [resourceRule(LEASES, ['coordination.k8s.io'], ['leases'], ['kube-system'], false)],
  }),
  fs('endpoint-controller', 'workload-high', 150, 'ByUser', {
    subjects: [...users('system:kube-controller-manager'), ...kubeSystemSA('endpoint-controller', 'endpointslicemirroring-controller')],
    resourceRules: [resourceRule(['get', 'create', 'update'], [''], ['endpoints'], ['*'], false)],
  }),
  fs('workload-leader-election', 'leader-election', 200, 'ByUser', {
    subjects: kubeSystemSA('*'),
    resourceRules: [resourceRule(LEASES, ['coordination.k8s.io'], ['leases'], ['*'], false)],
  }),
  fs('system-node-high', 'node-high', 400, 'ByUser', {
    subjects: groups('system:nodes'),
    resourceRules: [resourceRule(['*'], [''], ['nodes', 'nodes/status'], ['*'], true), resourceRule(['*'], ['coordination.k8s.io'], ['leases'], ['*'], false)],
  }),
  fs('system-nodes', 'system', 500, 'ByUser', everything(groups('system:nodes'))),
  fs('kube-controller-manager', 'workload-high', 800, 'ByNamespace', everything(users('system:kube-controller-manager'))),
  fs('kube-scheduler', 'workload-high', 800, 'ByNamespace', everything(users('system:kube-scheduler'))),
  fs('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', everything(kubeSystemSA('*'))),
  fs('service-accounts', 'workload-low', 9000, 'ByUser', everything(groups('system:serviceaccounts'))),
  fs('global-default', 'global-default', 9900, 'ByUser', everything(groups('system:unauthenticated', 'system:authenticated'))),
];
