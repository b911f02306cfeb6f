// apiextensions.k8s.io/v1 CustomResourceDefinition, including the recursive JSONSchemaProps.
import { arr, bool, conditions, i64, keyed, kindWithList, map, ref, str, type, type Schema } from './dsl.js';

const AX = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';
const json = (description: string): Schema => ({ description, 'x-kubernetes-preserve-unknown-fields': true });
const props = (description: string) => ref(`${AX}JSONSchemaProps`, description);

type(`${AX}ExternalDocumentation`, 'Where more documentation lives.', { description: str('What it is.'), url: str('Where.') });
type(
  `${AX}ValidationRule`,
  'A CEL rule values must satisfy.',
  {
    rule: str('CEL expression; self is the value.'),
    message: str('Message when the rule fails.'),
    messageExpression: str('CEL expression producing the message.'),
    reason: str('Reason reported when the rule fails.'),
    fieldPath: str('Field the failure is reported on.'),
    optionalOldSelf: bool('Evaluate on create too, with oldSelf absent.'),
  },
  { required: ['rule'] },
);
type(`${AX}JSONSchemaProps`, 'An OpenAPI v3 schema, as CRDs write it.', {
  id: str('Schema id.'),
  $schema: str('Schema dialect.'),
  $ref: str('Reference; not allowed in CRDs.'),
  description: str('What the value is.'),
  type: str('object, array, string, integer, number or boolean.'),
  format: str('Format of the value, e.g. date-time or int32.'),
  title: str('Title.'),
  default: json('Value used when the field is absent.'),
  maximum: { type: 'number', format: 'double', description: 'Largest allowed number.' },
  exclusiveMaximum: bool('Whether maximum itself is excluded.'),
  minimum: { type: 'number', format: 'double', description: 'Smallest allowed number.' },
  exclusiveMinimum: bool('Whether minimum itself is excluded.'),
  maxLength: i64('Longest allowed string.'),
  minLength: i64('Shortest allowed string.'),
  pattern: str('Regular expression strings must match.'),
  maxItems: i64('Most list items.'),
  minItems: i64('Fewest list items.'),
  uniqueItems: bool('Items must differ.'),
  multipleOf: { type: 'number', format: 'double', description: 'Numbers must be multiples of this.' },
  enum: arr(json('An allowed value.'), 'Allowed values.'),
  maxProperties: i64('Most object fields.'),
  minProperties: i64('Fewest object fields.'),
  required: arr(str(), 'Fields that must be present.'),
  items: json('Schema of list items.'),
  allOf: arr(props('A schema.'), 'Schemas that must all hold.'),
  oneOf: arr(props('A schema.'), 'Schemas of which exactly one holds.'),
  anyOf: arr(props('A schema.'), 'Schemas of which at least one holds.'),
  not: props('Schema that must not hold.'),
  properties: map(props('Schema of the field.'), 'Schemas of the fields of an object.'),
  additionalProperties: json('Schema of the values of a map, or false.'),
  patternProperties: map(props('Schema.'), 'Schemas of fields by name pattern.'),
  dependencies: json('Field dependencies.'),
  additionalItems: json('Schema of extra items.'),
  definitions: map(props('Schema.'), 'Named schemas.'),
  externalDocs: ref(`${AX}ExternalDocumentation`, 'More documentation.'),
  example: json('An example value.'),
  nullable: bool('Whether null is allowed.'),
  'x-kubernetes-preserve-unknown-fields': bool('Keep fields the schema does not declare.'),
  'x-kubernetes-embedded-resource': bool('The value is a whole Kubernetes object.'),
  'x-kubernetes-int-or-string': bool('The value is an integer or a string.'),
  'x-kubernetes-list-map-keys': arr(str(), 'Keys of a map-type list.'),
  'x-kubernetes-list-type': str('atomic, set or map.'),
  'x-kubernetes-map-type': str('granular or atomic.'),
  'x-kubernetes-validations': keyed(ref(`${AX}ValidationRule`), ['rule'], 'CEL rules.'),
});
type(`${AX}CustomResourceValidation`, 'How custom objects are validated.', { openAPIV3Schema: props('Schema of the objects.') });
type(
  `${AX}CustomResourceSubresourceScale`,
  'The scale subresource of custom objects.',
  {
    specReplicasPath: str('JSON path of the desired replicas, e.g. .spec.replicas.'),
    statusReplicasPath: str('JSON path of the current replicas.'),
    labelSelectorPath: str('JSON path of the label selector string.'),
  },
  { required: ['specReplicasPath', 'statusReplicasPath'] },
);
type(`${AX}CustomResourceSubresources`, 'Subresources of custom objects.', {
  status: json('Serve /status; the main resource then ignores status changes.'),
  scale: ref(`${AX}CustomResourceSubresourceScale`, 'Serve /scale.'),
});
type(
  `${AX}CustomResourceColumnDefinition`,
  'A column of kubectl get.',
  {
    name: str('Header.'),
    type: str('integer, number, string, boolean or date.'),
    format: str('Format, e.g. name.'),
    description: str('What the column shows.'),
    priority: { type: 'integer', format: 'int32', description: '0 shows by default; more shows with -o wide.' },
    jsonPath: str('JSON path of the value.'),
  },
  { required: ['name', 'type', 'jsonPath'] },
);
type(`${AX}SelectableField`, 'A field usable in field selectors.', { jsonPath: str('JSON path of the field.') }, { required: ['jsonPath'] });
type(
  `${AX}CustomResourceDefinitionVersion`,
  'One version of the custom resource.',
  {
    name: str('Version name, e.g. v1.'),
    served: bool('Serve this version.'),
    storage: bool('Store objects in this version; exactly one version does.'),
    deprecated: bool('Warn clients that use it.'),
    deprecationWarning: str('The warning text.'),
    schema: ref(`${AX}CustomResourceValidation`, 'Schema of the objects.'),
    subresources: ref(`${AX}CustomResourceSubresources`, 'Subresources.'),
    additionalPrinterColumns: arr(ref(`${AX}CustomResourceColumnDefinition`), 'Extra kubectl get columns.'),
    selectableFields: arr(ref(`${AX}SelectableField`), 'Fields usable in field selectors.'),
  },
  { required: ['name', 'served', 'storage'] },
);
type(
  `${AX}CustomResourceDefinitionNames`,
  'Names of the custom resource.',
  {
    plural: str('Plural resource name, used in URLs.'),
    singular: str('Singular name.'),
    shortNames: arr(str(), 'Short names for kubectl.'),
    kind: str('Kind, in CamelCase.'),
    listKind: str('Kind of lists; <kind>List by default.'),
    categories: arr(str(), 'Categories, e.g. all.'),
  },
  { required: ['plural', 'kind'] },
);
type(
  `${AX}ServiceReference`,
  'A Service that converts objects.',
  { namespace: str('Namespace.'), name: str('Name.'), path: str('URL path.'), port: { type: 'integer', format: 'int32', description: 'Port.' } },
  { required: ['namespace', 'name'] },
);
type(`${AX}WebhookClientConfig`, 'How to reach a webhook.', {
  url: str('URL.'),
  service: ref(`${AX}ServiceReference`, 'Service.'),
  caBundle: { type: 'string', format: 'byte', description: 'CA bundle.' },
});
type(
  `${AX}WebhookConversion`,
  'Conversion by webhook.',
  { clientConfig: ref(`${AX}WebhookClientConfig`, 'Where the webhook is.'), conversionReviewVersions: arr(str(), 'ConversionReview versions it accepts.') },
  { required: ['conversionReviewVersions'] },
);
type(
  `${AX}CustomResourceConversion`,
  'How objects convert between versions.',
  { strategy: str('None or Webhook.'), webhook: ref(`${AX}WebhookConversion`, 'Webhook settings.') },
  { required: ['strategy'] },
);
type(
  `${AX}CustomResourceDefinitionSpec`,
  'What the custom resource is.',
  {
    group: str('API group, e.g. stable.example.com.'),
    names: ref(`${AX}CustomResourceDefinitionNames`, 'Names.'),
    scope: str('Namespaced or Cluster.'),
    versions: arr(ref(`${AX}CustomResourceDefinitionVersion`), 'Versions served.'),
    conversion: ref(`${AX}CustomResourceConversion`, 'Conversion between versions.'),
    preserveUnknownFields: bool('Deprecated: keep unknown fields; must be false.'),
  },
  { required: ['group', 'names', 'scope', 'versions'] },
);
type(
  `${AX}CustomResourceDefinitionCondition`,
  'One aspect of the state of a CRD.',
  {
    type: str('Established, NamesAccepted, …'),
    status: str('True, False or Unknown.'),
    lastTransitionTime: ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time', 'When status last changed.'),
    reason: str('Reason.'),
    message: str('Details.'),
  },
  { required: ['type', 'status'] },
);
type(`${AX}CustomResourceDefinitionStatus`, 'Observed state of a CRD.', {
  conditions: conditions(`${AX}CustomResourceDefinitionCondition`),
  acceptedNames: ref(`${AX}CustomResourceDefinitionNames`, 'Names in use.'),
  storedVersions: arr(str(), 'Versions objects have ever been stored in.'),
});
kindWithList(
  `${AX}CustomResourceDefinition`,
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' },
  'Defines a new resource served by the apiserver.',
  {
    spec: ref(`${AX}CustomResourceDefinitionSpec`, 'What the resource is.'),
    status: ref(`${AX}CustomResourceDefinitionStatus`, 'Observed state.'),
  },
  ['spec'],
);
