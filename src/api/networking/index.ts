import type { ResourceDef } from '../types.js';
import { ingressclasses } from './ingressclass.js';
import { ingresses } from './ingress.js';
import { networkpolicies } from './networkpolicy.js';

export { ingressclasses, ingresses, networkpolicies };

export const networkingResources: ResourceDef[] = [ingresses, ingressclasses, networkpolicies];
