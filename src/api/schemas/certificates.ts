// certificates.k8s.io/v1: CertificateSigningRequest.
import { arr, bytes, gv, int, kindWithList, map, ref, str, time, type } from './dsl.js';

const CERT = 'io.k8s.api.certificates.v1.';
type(
  `${CERT}CertificateSigningRequestSpec`,
  'A request for a certificate: the PKCS#10 request, the signer, the usages and who asked.',
  {
    request: bytes('The PEM-encoded PKCS#10 certificate request. Immutable.'),
    signerName: str('The signer asked to sign, e.g. kubernetes.io/kube-apiserver-client. Immutable.'),
    expirationSeconds: int('The requested lifetime of the certificate; at least 600. The signer may issue a shorter one.'),
    usages: { type: 'array', items: str(), description: 'Key usages and extended key usages asked for.', 'x-kubernetes-list-type': 'atomic' },
    username: str('Who created the request; set by the server.'),
    uid: str('The uid of who created the request; set by the server.'),
    groups: { type: 'array', items: str(), description: 'The groups of who created the request; set by the server.', 'x-kubernetes-list-type': 'atomic' },
    extra: map(arr(str()), 'Extra attributes of who created the request; set by the server.'),
  },
  { required: ['request', 'signerName'] },
);
type(
  `${CERT}CertificateSigningRequestCondition`,
  'An Approved, Denied or Failed verdict, or another condition.',
  {
    type: str('Approved, Denied, Failed, or another type.'),
    status: str('True, False or Unknown.'),
    reason: str('A brief machine-readable reason.'),
    message: str('Details for humans.'),
    lastUpdateTime: time('When the condition was last updated.'),
    lastTransitionTime: time('When the status last changed.'),
  },
  { required: ['type', 'status'] },
);
type(`${CERT}CertificateSigningRequestStatus`, 'The verdict and the issued certificate.', {
  conditions: {
    type: 'array',
    items: ref(`${CERT}CertificateSigningRequestCondition`),
    description: 'Approved/Denied/Failed and other conditions.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  },
  certificate: bytes('The issued certificate (PEM), set by the signer once approved.'),
});
kindWithList(
  `${CERT}CertificateSigningRequest`,
  gv('certificates.k8s.io', 'v1')('CertificateSigningRequest'),
  'A request for a signed X.509 certificate, approved or denied and then signed by the named signer.',
  {
    spec: ref(`${CERT}CertificateSigningRequestSpec`, 'The request.'),
    status: ref(`${CERT}CertificateSigningRequestStatus`, 'The verdict and the certificate.'),
  },
  ['spec'],
);
