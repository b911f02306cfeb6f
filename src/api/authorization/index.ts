// authorization.k8s.io/v1: the access reviews. They are questions, not stored objects: a
// create answers with the object and its status filled in (served by the apiserver's
// access-review handlers).
import type { ResourceDef } from '../types.js';

const base = { group: 'authorization.k8s.io', version: 'v1', verbs: ['create'] };

export const subjectaccessreviews: ResourceDef = {
  ...base,
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  singular: 'subjectaccessreview',
  namespaced: false,
};

export const selfsubjectaccessreviews: ResourceDef = {
  ...base,
  kind: 'SelfSubjectAccessReview',
  plural: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  namespaced: false,
};

export const localsubjectaccessreviews: ResourceDef = {
  ...base,
  kind: 'LocalSubjectAccessReview',
  plural: 'localsubjectaccessreviews',
  singular: 'localsubjectaccessreview',
  namespaced: true,
};

export const selfsubjectrulesreviews: ResourceDef = {
  ...base,
  kind: 'SelfSubjectRulesReview',
  plural: 'selfsubjectrulesreviews',
  singular: 'selfsubjectrulesreview',
  namespaced: false,
};

export const authorizationResources: ResourceDef[] = [subjectaccessreviews, selfsubjectaccessreviews, localsubjectaccessreviews, selfsubjectrulesreviews];
