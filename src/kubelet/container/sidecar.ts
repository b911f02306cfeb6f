// Sidecars are init containers with restartPolicy Always: they start in init order, run
// beside the main containers, are restarted whenever they exit, and stop after them.
import type { Container } from 'kubernetes-types/core/v1.js';

export const isSidecar = (c: Container) => c.restartPolicy === 'Always';
