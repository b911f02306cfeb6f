// A CronTab-like CustomResourceDefinition used by the CRD tests.
import type { KObject } from '../../src/api/types.js';

export function cronTabCRD(opts: { group?: string; scope?: 'Namespaced' | 'Cluster'; versions?: KObject[] } = {}): KObject {
  const group = opts.group ?? 'stable.example.com';
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
          image: { type: 'string' },
          replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
          mode: { type: 'string', enum: ['fast', 'slow'], default: 'slow' },
          port: { 'x-kubernetes-int-or-string': true },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          note: { type: 'string', nullable: true },
          when: { type: 'string', format: 'date-time' },
          selector: { type: 'string' },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
          items: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'integer', default: 5 } }, required: ['name'] },
          },
        },
        required: ['cronSpec'],
      },
      status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } },
    },
  };
  const versions = opts.versions ?? [
    {
      name: 'v1',
      served: true,
      storage: true,
      schema: { openAPIV3Schema: schema },
      subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' } },
      additionalPrinterColumns: [
        { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
    { name: 'v1beta1', served: true, storage: false, schema: { openAPIV3Schema: schema } },
  ];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `crontabs.${group}` },
    spec: {
      group,
      scope: opts.scope ?? 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'], categories: ['all'] },
      versions,
    },
  };
}

export function cronTab(name: string, spec: Record<string, unknown>, apiVersion = 'stable.example.com/v1'): KObject {
  return { apiVersion, kind: 'CronTab', metadata: { name }, spec };
}
