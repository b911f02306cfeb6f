// The PodSpec helpers other API groups embed (apps, batch): one import for defaulting and validation.
export { defaultPodSpec } from './pod-defaults.js';
export { validatePodSpec } from './pod-validation.js';
