import type { ResourceDef } from '../types.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';

export { clusterrolebindings, clusterroles, rolebindings, roles };

export const rbacResources: ResourceDef[] = [roles, rolebindings, clusterroles, clusterrolebindings];
