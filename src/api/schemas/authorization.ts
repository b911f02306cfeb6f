// authorization.k8s.io/v1: the access reviews (questions sent with create, answered in status).
import { arr, bool, gv, kind, map, ref, str, type } from './dsl.js';

const AUTHZ = 'io.k8s.api.authorization.v1.';
const v1 = gv('authorization.k8s.io', 'v1');

type(`${AUTHZ}ResourceAttributes`, 'A resource request to ask about.', {
  namespace: str('Namespace of the request; empty for cluster-scoped resources or all namespaces.'),
  verb: str('Kubernetes verb: get, list, watch, create, update, patch, delete, or "*".'),
  group: str('API group of the resource; "*" means all.'),
  version: str('API version of the resource; "*" means all.'),
  resource: str('Resource, e.g. pods; "*" means all.'),
  subresource: str('Subresource, e.g. log; empty for the resource itself.'),
  name: str('Name of the object; empty means all.'),
});
type(`${AUTHZ}NonResourceAttributes`, 'A non-resource request to ask about.', {
  path: str('URL path of the request.'),
  verb: str('Lower-case HTTP method.'),
});
type(`${AUTHZ}SubjectAccessReviewSpec`, 'The request and the user to ask about.', {
  resourceAttributes: ref(`${AUTHZ}ResourceAttributes`, 'For a resource request.'),
  nonResourceAttributes: ref(`${AUTHZ}NonResourceAttributes`, 'For a non-resource request.'),
  user: str('The user asking.'),
  groups: arr(str(), 'Their groups.'),
  extra: map(arr(str()), 'Extra attributes of the user.'),
  uid: str('Their UID.'),
});
type(`${AUTHZ}SelfSubjectAccessReviewSpec`, 'The request to ask about, for the requesting user.', {
  resourceAttributes: ref(`${AUTHZ}ResourceAttributes`, 'For a resource request.'),
  nonResourceAttributes: ref(`${AUTHZ}NonResourceAttributes`, 'For a non-resource request.'),
});
type(
  `${AUTHZ}SubjectAccessReviewStatus`,
  'The answer.',
  {
    allowed: bool('Whether the request is allowed.'),
    denied: bool('Whether an authorizer denied it outright.'),
    reason: str("Why, in the authorizer's words."),
    evaluationError: str('A failure while deciding.'),
  },
  { required: ['allowed'] },
);
for (const k of ['SubjectAccessReview', 'LocalSubjectAccessReview'])
  kind(
    `${AUTHZ}${k}`,
    [v1(k)],
    `Asks whether a user may do something${k.startsWith('Local') ? ' in one namespace' : ''}.`,
    {
      spec: ref(`${AUTHZ}SubjectAccessReviewSpec`, 'The question.'),
      status: ref(`${AUTHZ}SubjectAccessReviewStatus`, 'The answer.'),
    },
    { required: ['spec'] },
  );
kind(
  `${AUTHZ}SelfSubjectAccessReview`,
  [v1('SelfSubjectAccessReview')],
  'Asks whether the requesting user may do something.',
  {
    spec: ref(`${AUTHZ}SelfSubjectAccessReviewSpec`, 'The question.'),
    status: ref(`${AUTHZ}SubjectAccessReviewStatus`, 'The answer.'),
  },
  { required: ['spec'] },
);
type(`${AUTHZ}SelfSubjectRulesReviewSpec`, 'Where to list the rules.', { namespace: str('The namespace.') });
type(
  `${AUTHZ}ResourceRule`,
  'What may be done on resources.',
  {
    verbs: arr(str(), 'Verbs.'),
    apiGroups: arr(str(), 'API groups.'),
    resources: arr(str(), 'Resources.'),
    resourceNames: arr(str(), 'Names, when limited to some.'),
  },
  { required: ['verbs'] },
);
type(
  `${AUTHZ}NonResourceRule`,
  'What may be done on non-resource URLs.',
  {
    verbs: arr(str(), 'Verbs.'),
    nonResourceURLs: arr(str(), 'URL paths, a trailing * matching any rest.'),
  },
  { required: ['verbs'] },
);
type(
  `${AUTHZ}SubjectRulesReviewStatus`,
  'The rules.',
  {
    resourceRules: arr(ref(`${AUTHZ}ResourceRule`), 'Resource rules.'),
    nonResourceRules: arr(ref(`${AUTHZ}NonResourceRule`), 'Non-resource rules.'),
    incomplete: bool('Whether some rules could not be listed.'),
    evaluationError: str('Why the list is incomplete.'),
  },
  { required: ['resourceRules', 'nonResourceRules', 'incomplete'] },
);
kind(
  `${AUTHZ}SelfSubjectRulesReview`,
  [v1('SelfSubjectRulesReview')],
  'Lists what the requesting user may do in a namespace.',
  {
    spec: ref(`${AUTHZ}SelfSubjectRulesReviewSpec`, 'The namespace.'),
    status: ref(`${AUTHZ}SubjectRulesReviewStatus`, 'The rules.'),
  },
  { required: ['spec'] },
);
