// authentication.k8s.io/v1: TokenReview and SelfSubjectReview. Both are questions, not
// stored objects: create is their only verb, and the answer comes back in status.
import type { ResourceDef } from '../types.js';

const review = (kind: string, plural: string): ResourceDef => ({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind,
  plural,
  singular: plural.replace(/s$/, ''),
  namespaced: false,
  verbs: ['create'],
});

export const tokenreviews = review('TokenReview', 'tokenreviews');
export const selfsubjectreviews = review('SelfSubjectReview', 'selfsubjectreviews');

export const authenticationResources: ResourceDef[] = [tokenreviews, selfsubjectreviews];
