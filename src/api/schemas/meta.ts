// meta.k8s.io types shared by every kind, and the scalar types with their own encodings.
import { arr, bool, i64, int, keyed, META, ref, scalar, set, str, strMap, time, type } from './dsl.js';

scalar(`${META}Time`, { type: 'string', format: 'date-time', description: 'A timestamp in RFC 3339 form, to the second.' });
scalar(`${META}MicroTime`, { type: 'string', format: 'date-time', description: 'A timestamp in RFC 3339 form, to the microsecond.' });
scalar('io.k8s.apimachinery.pkg.api.resource.Quantity', {
  description: 'A fixed-point number with an optional suffix: 500m, 1, 2Gi, 1e3.',
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
} as never);
scalar('io.k8s.apimachinery.pkg.util.intstr.IntOrString', {
  description: 'Either a whole number or a string.',
  'x-kubernetes-int-or-string': true,
  anyOf: [{ type: 'integer' }, { type: 'string' }],
} as never);
scalar('io.k8s.apimachinery.pkg.runtime.RawExtension', {
  type: 'object',
  description: 'An embedded object of any kind.',
  'x-kubernetes-preserve-unknown-fields': true,
});

type(
  `${META}OwnerReference`,
  'Names an object that owns this one; owned objects are garbage collected with their owner.',
  {
    apiVersion: str('API version of the owner.'),
    kind: str('Kind of the owner.'),
    name: str('Name of the owner.'),
    uid: str('UID of the owner.'),
    controller: bool('True when the owner is the managing controller.'),
    blockOwnerDeletion: bool('True when deleting the owner in the foreground waits for this object.'),
  },
  { required: ['apiVersion', 'kind', 'name', 'uid'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);

type(`${META}ManagedFieldsEntry`, 'The fields one manager owns, recorded by server-side apply.', {
  manager: str('Name of the field manager.'),
  operation: str('Apply or Update.'),
  apiVersion: str('API version the fields are expressed in.'),
  time: time('When the manager last changed these fields.'),
  fieldsType: str('Format of fieldsV1; always FieldsV1.'),
  fieldsV1: ref(`${META}FieldsV1`, 'The set of owned fields.'),
  subresource: str('The subresource the fields were written through, if any.'),
});
type(`${META}FieldsV1`, 'A set of fields in trie form.', {}, { ext: { 'x-kubernetes-preserve-unknown-fields': true } });

type(`${META}ObjectMeta`, 'Metadata every persisted object has.', {
  name: str('Unique name within a namespace; cannot be changed.'),
  generateName: str('Prefix for a server-generated name, used when name is empty.'),
  namespace: str('The namespace the object lives in; empty for cluster-scoped objects.'),
  selfLink: str('Deprecated; always empty.'),
  uid: str('Unique identifier assigned by the server.'),
  resourceVersion: str('Opaque version of the object, for optimistic concurrency and watches.'),
  generation: i64('Sequence number of the desired state, bumped by the server on spec changes.'),
  creationTimestamp: time('When the object was created, set by the server.'),
  deletionTimestamp: time('When the object will be deleted, set by the server on a graceful delete.'),
  deletionGracePeriodSeconds: i64('Seconds allowed for graceful termination before removal.'),
  labels: strMap('Key/value pairs for selecting objects.'),
  annotations: strMap('Key/value pairs for tools and extensions; not used for selection.'),
  ownerReferences: keyed(ref(`${META}OwnerReference`), ['uid'], 'Objects this object depends on.'),
  finalizers: { ...set('Conditions that must be cleared before the object is deleted.'), 'x-kubernetes-patch-strategy': 'merge' },
  managedFields: arr(ref(`${META}ManagedFieldsEntry`), 'Which manager owns which fields; maintained by the server.'),
});

type(`${META}ListMeta`, 'Metadata of a list.', {
  selfLink: str('Deprecated; always empty.'),
  resourceVersion: str('Version of the list, to watch from.'),
  continue: str('Token to fetch the next page, when the list was limited.'),
  remainingItemCount: i64('Number of items after this page, when known.'),
});

type(
  `${META}LabelSelectorRequirement`,
  'One condition on a label.',
  {
    key: str('The label key.'),
    operator: str('In, NotIn, Exists or DoesNotExist.'),
    values: arr(str(), 'Values for In and NotIn; empty for Exists and DoesNotExist.'),
  },
  { required: ['key', 'operator'] },
);
type(
  `${META}LabelSelector`,
  'Selects objects by their labels; the conditions are ANDed. Empty selects everything.',
  {
    matchLabels: strMap('Labels that must match exactly.'),
    matchExpressions: arr(ref(`${META}LabelSelectorRequirement`), 'Further conditions on labels.'),
  },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);

type(
  `${META}Condition`,
  'One aspect of the current state of an object.',
  {
    type: str('Type of the condition, in CamelCase.'),
    status: str('True, False or Unknown.'),
    observedGeneration: i64('The metadata.generation the condition was set for.'),
    lastTransitionTime: time('When status last changed.'),
    reason: str('Machine-readable reason for the last transition, in CamelCase.'),
    message: str('Human-readable details.'),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

type(`${META}StatusCause`, 'One cause of an error.', {
  reason: str('Machine-readable cause.'),
  message: str('Human-readable cause.'),
  field: str('Field the cause concerns.'),
});
type(`${META}StatusDetails`, 'Details of an error.', {
  name: str('Name of the object concerned.'),
  group: str('Group of the object concerned.'),
  kind: str('Kind of the object concerned.'),
  uid: str('UID of the object concerned.'),
  causes: arr(ref(`${META}StatusCause`), 'The causes.'),
  retryAfterSeconds: int('Seconds to wait before retrying.'),
});
type(
  `${META}Status`,
  'The result of an operation that returns no object.',
  {
    apiVersion: str('The versioned schema of this object.'),
    kind: str('Status.'),
    metadata: ref(`${META}ListMeta`, 'Standard list metadata.'),
    status: str('Success or Failure.'),
    message: str('Human-readable description.'),
    reason: str('Machine-readable reason.'),
    details: ref(`${META}StatusDetails`, 'Extra data about the reason.'),
    code: int('HTTP status code.'),
  },
  { ext: { 'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Status' }] } },
);
type(`${META}Preconditions`, 'Must hold before a delete is carried out.', { uid: str('Expected UID.'), resourceVersion: str('Expected resourceVersion.') });
type(`${META}DeleteOptions`, 'Options of a delete.', {
  apiVersion: str('The versioned schema of this object.'),
  kind: str('DeleteOptions.'),
  gracePeriodSeconds: i64('Seconds before the object is deleted; 0 deletes now.'),
  preconditions: ref(`${META}Preconditions`, 'Must hold for the delete to happen.'),
  orphanDependents: bool('Deprecated: use propagationPolicy.'),
  propagationPolicy: str('Orphan, Background or Foreground garbage collection of dependents.'),
  dryRun: arr(str(), 'All: go through every step but store nothing.'),
});
type(`${META}Patch`, 'A patch document; its form depends on the Content-Type of the request.', {});
type(
  `${META}WatchEvent`,
  'One event of a watch stream.',
  {
    type: str('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.'),
    object: ref('io.k8s.apimachinery.pkg.runtime.RawExtension', 'The object, or a Status for ERROR.'),
  },
  { required: ['type', 'object'] },
);
