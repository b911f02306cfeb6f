import type { ResourceDef } from '../types.js';
import { horizontalpodautoscalersV1, horizontalpodautoscalersV2 } from './hpa.js';

export { horizontalpodautoscalersV1, horizontalpodautoscalersV2 };
export { hpaV1ToV2, hpaV2ToV1 } from './hpa-convert.js';

/** v2 first: it is the preferred version and the stored form. */
export const autoscalingResources: ResourceDef[] = [horizontalpodautoscalersV2, horizontalpodautoscalersV1];
