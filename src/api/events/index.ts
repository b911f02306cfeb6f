import type { ResourceDef } from '../types.js';
import { events } from './event.js';

export { events };
export { coreEventToEventsV1, eventsV1ToCoreEvent } from './event.js';

export const eventsResources: ResourceDef[] = [events];
