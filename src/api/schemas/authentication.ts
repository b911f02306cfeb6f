// authentication.k8s.io/v1 kinds: TokenReview, SelfSubjectReview and TokenRequest (the body of
// serviceaccounts/token).
import './meta.js';
import { arr, bool, gv, i64, kind, map, ref, str, time, type } from './dsl.js';

const AUTHN = 'io.k8s.api.authentication.v1.';
const v1 = gv('authentication.k8s.io', 'v1');

type(`${AUTHN}UserInfo`, 'Who a user is.', {
  username: str('The name that uniquely identifies this user among all active users.'),
  uid: str('A unique value that identifies this user across time.'),
  groups: arr(str(), 'The groups this user is a part of.'),
  extra: map(arr(str()), 'Any additional information provided by the authenticator.'),
});
type(`${AUTHN}TokenReviewSpec`, 'The token to check.', {
  token: str('The opaque bearer token.'),
  audiences: arr(str(), 'Audiences the token must be valid for.'),
});
type(`${AUTHN}TokenReviewStatus`, 'Whether the token is valid, and whose it is.', {
  authenticated: bool('Whether the token is associated with a known user.'),
  user: ref(`${AUTHN}UserInfo`, 'The user of the token.'),
  audiences: arr(str(), 'Audiences the token is valid for.'),
  error: str('Why the token could not be checked.'),
});
kind(
  `${AUTHN}TokenReview`,
  [v1('TokenReview')],
  'Checks a token: the answer is in status.',
  {
    spec: ref(`${AUTHN}TokenReviewSpec`, 'The token.'),
    status: ref(`${AUTHN}TokenReviewStatus`, 'The answer.'),
  },
  { required: ['spec'] },
);
type(`${AUTHN}SelfSubjectReviewStatus`, 'The requesting user.', { userInfo: ref(`${AUTHN}UserInfo`, 'Who made the request.') });
kind(`${AUTHN}SelfSubjectReview`, [v1('SelfSubjectReview')], 'Answers who the requesting user is.', {
  status: ref(`${AUTHN}SelfSubjectReviewStatus`, 'The answer.'),
});
type(`${AUTHN}BoundObjectReference`, 'The object a token is bound to.', {
  kind: str('Pod or Secret.'),
  apiVersion: str('API version of the object.'),
  name: str('Name of the object.'),
  uid: str('UID of the object.'),
});
type(
  `${AUTHN}TokenRequestSpec`,
  'What token to issue.',
  {
    audiences: arr(str(), 'Intended audiences of the token.'),
    expirationSeconds: i64('Requested duration of validity.'),
    boundObjectRef: ref(`${AUTHN}BoundObjectReference`, 'The object the token is bound to.'),
  },
  { required: ['audiences'] },
);
type(
  `${AUTHN}TokenRequestStatus`,
  'The issued token.',
  {
    token: str('The opaque bearer token.'),
    expirationTimestamp: time('When the token expires.'),
  },
  { required: ['token', 'expirationTimestamp'] },
);
kind(
  `${AUTHN}TokenRequest`,
  [v1('TokenRequest')],
  'Requests a token for a service account.',
  {
    spec: ref(`${AUTHN}TokenRequestSpec`, 'The request.'),
    status: ref(`${AUTHN}TokenRequestStatus`, 'The token.'),
  },
  { required: ['spec'] },
);
