import type { ResourceDef } from '../types.js';
import { endpointslices } from './endpointslice.js';

export { endpointslices };

export const discoveryResources: ResourceDef[] = [endpointslices];
