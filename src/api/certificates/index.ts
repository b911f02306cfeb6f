import type { ResourceDef } from '../types.js';
import { certificateSigningRequests } from './csr.js';

export { certificateSigningRequests };

export const certificatesResources: ResourceDef[] = [certificateSigningRequests];
