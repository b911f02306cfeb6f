// flowcontrol.apiserver.k8s.io/v1: FlowSchema and PriorityLevelConfiguration.
import './meta.js';
import { arr, bool, conditions, gv, int, kindWithList, ref, set, str, time, type } from './dsl.js';

const FC = 'io.k8s.api.flowcontrol.v1.';
const v1 = gv('flowcontrol.apiserver.k8s.io', 'v1');

type(`${FC}UserSubject`, 'A user.', { name: str('User name, or "*" for every user.') }, { required: ['name'] });
type(`${FC}GroupSubject`, 'A group.', { name: str('Group name, or "*" for every group.') }, { required: ['name'] });
type(
  `${FC}ServiceAccountSubject`,
  'A service account.',
  { namespace: str('Its namespace.'), name: str('Its name, or "*".') },
  { required: ['namespace', 'name'] },
);
type(
  `${FC}Subject`,
  'Who a rule applies to.',
  {
    kind: str('User, Group or ServiceAccount.'),
    user: ref(`${FC}UserSubject`),
    group: ref(`${FC}GroupSubject`),
    serviceAccount: ref(`${FC}ServiceAccountSubject`),
  },
  { required: ['kind'] },
);
type(
  `${FC}ResourcePolicyRule`,
  'Matches resource requests.',
  {
    verbs: set('Verbs, or "*".'),
    apiGroups: set('API groups, or "*".'),
    resources: set('Resources (resource/subresource), or "*".'),
    clusterScope: bool('Whether cluster-scoped requests match.'),
    namespaces: set('Namespaces, or "*" for every namespace.'),
  },
  { required: ['verbs', 'apiGroups', 'resources'] },
);
type(
  `${FC}NonResourcePolicyRule`,
  'Matches non-resource requests.',
  { verbs: set('Verbs, or "*".'), nonResourceURLs: set('URL paths, a trailing "/*" matching a prefix, or "*".') },
  { required: ['verbs', 'nonResourceURLs'] },
);
type(
  `${FC}PolicyRulesWithSubjects`,
  'Rules and the subjects they apply to.',
  {
    subjects: arr(ref(`${FC}Subject`), 'Who.'),
    resourceRules: arr(ref(`${FC}ResourcePolicyRule`), 'Resource requests.'),
    nonResourceRules: arr(ref(`${FC}NonResourcePolicyRule`), 'Non-resource requests.'),
  },
  { required: ['subjects'] },
);
type(`${FC}PriorityLevelConfigurationReference`, 'A priority level by name.', { name: str('Its name.') }, { required: ['name'] });
type(`${FC}FlowDistinguisherMethod`, 'How requests are split into flows.', { type: str('ByUser or ByNamespace.') }, { required: ['type'] });
type(
  `${FC}FlowSchemaSpec`,
  'What a FlowSchema matches and where it sends it.',
  {
    priorityLevelConfiguration: ref(`${FC}PriorityLevelConfigurationReference`, 'The priority level.'),
    matchingPrecedence: int('Lower wins, 1 to 10000.'),
    distinguisherMethod: ref(`${FC}FlowDistinguisherMethod`, 'How flows are told apart.'),
    rules: arr(ref(`${FC}PolicyRulesWithSubjects`), 'The rules; any matching one selects this schema.'),
  },
  { required: ['priorityLevelConfiguration'] },
);
type(`${FC}FlowSchemaCondition`, 'A condition of a FlowSchema.', {
  type: str('Dangling.'),
  status: str('True, False or Unknown.'),
  lastTransitionTime: time('Last change of status.'),
  reason: str('Machine-readable reason.'),
  message: str('Human-readable message.'),
});
type(`${FC}FlowSchemaStatus`, 'Observed state.', { conditions: conditions(`${FC}FlowSchemaCondition`) });
kindWithList(`${FC}FlowSchema`, v1('FlowSchema'), 'Which requests go to which priority level, and how they are split into flows.', {
  spec: ref(`${FC}FlowSchemaSpec`, 'The schema.'),
  status: ref(`${FC}FlowSchemaStatus`, 'Observed state.'),
});

type(`${FC}QueuingConfiguration`, 'Queues of a priority level.', {
  queues: int('Number of queues.'),
  handSize: int('Queues each flow is shuffle-sharded over.'),
  queueLengthLimit: int('Requests a queue holds.'),
});
type(
  `${FC}LimitResponse`,
  'What happens to requests beyond the limit.',
  {
    type: str('Queue or Reject.'),
    queuing: ref(`${FC}QueuingConfiguration`, 'Queue parameters.'),
  },
  { required: ['type'] },
);
type(`${FC}LimitedPriorityLevelConfiguration`, 'A level with a concurrency limit.', {
  nominalConcurrencyShares: int("Share of the server's concurrency limit."),
  limitResponse: ref(`${FC}LimitResponse`, 'Beyond the limit.'),
  lendablePercent: int('Percent of the nominal limit other levels may borrow.'),
  borrowingLimitPercent: int('Percent of the nominal limit this level may borrow.'),
});
type(`${FC}ExemptPriorityLevelConfiguration`, 'The exempt level.', {
  nominalConcurrencyShares: int('Share of the concurrency limit.'),
  lendablePercent: int('Lendable percent.'),
});
type(
  `${FC}PriorityLevelConfigurationSpec`,
  'A priority level.',
  {
    type: str('Exempt or Limited.'),
    limited: ref(`${FC}LimitedPriorityLevelConfiguration`, 'For Limited levels.'),
    exempt: ref(`${FC}ExemptPriorityLevelConfiguration`, 'For the Exempt level.'),
  },
  { required: ['type'] },
);
type(`${FC}PriorityLevelConfigurationCondition`, 'A condition of a priority level.', {
  type: str('Condition type.'),
  status: str('True, False or Unknown.'),
  lastTransitionTime: time('Last change of status.'),
  reason: str('Machine-readable reason.'),
  message: str('Human-readable message.'),
});
type(`${FC}PriorityLevelConfigurationStatus`, 'Observed state.', { conditions: conditions(`${FC}PriorityLevelConfigurationCondition`) });
kindWithList(`${FC}PriorityLevelConfiguration`, v1('PriorityLevelConfiguration'), 'A priority level: its share of the server and how it queues.', {
  spec: ref(`${FC}PriorityLevelConfigurationSpec`, 'The level.'),
  status: ref(`${FC}PriorityLevelConfigurationStatus`, 'Observed state.'),
});
