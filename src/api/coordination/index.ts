import type { ResourceDef } from '../types.js';
import { leases } from './lease.js';

export { leases };

export const coordinationResources: ResourceDef[] = [leases];
