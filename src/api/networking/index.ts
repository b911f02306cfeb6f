import type { ResourceDef } from '../types.js';
import { ingressclasses, DEFAULT_INGRESS_CLASS_ANNOTATION } from './ingressclass.js';
import { ingresses, INGRESS_CLASS_ANNOTATION } from './ingress.js';
import { networkpolicies } from './networkpolicy.js';

export { ingressclasses, ingresses, networkpolicies, DEFAULT_INGRESS_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION };

export const networkingResources: ResourceDef[] = [ingresses, ingressclasses, networkpolicies];
