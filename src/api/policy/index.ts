import type { ResourceDef } from '../types.js';
import { poddisruptionbudgets } from './pdb.js';

export { poddisruptionbudgets };

export const policyResources: ResourceDef[] = [poddisruptionbudgets];
