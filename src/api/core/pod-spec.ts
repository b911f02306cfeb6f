// The PodSpec helpers other API groups embed (apps, batch): one import for defaulting and validation.
export { defaultContainer, defaultPodSpec, defaultPodTemplate } from './pod-defaults.js';
export { validatePodSpec, validatePodTemplate, validateTolerations } from './pod-validation.js';
export { validateContainer, validateResources } from './container-validation.js';
