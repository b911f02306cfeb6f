// The client library every Skiff component builds on: transports, a typed client,
// informers and their caches, work queues, and leader election.
export {
  ApiError, isAlreadyExists, isConflict, isNotFound,
  type ClientWatchEvent, type RequestOptions, type StatusBody, type Transport, type WatchHandlers,
} from './transport.js';
export { HttpsTransport } from './https-transport.js';
export type { HttpsTransportOptions } from './https-options.js';
export { loadKubeconfig, type Kubeconfig } from './kubeconfig.js';
export { apiVersionString, groupVersionPath, resourcePath, type GroupVersion, type ResourcePathParts } from './paths.js';
export { resources, type ResourceType } from './resources.js';
export {
  Client, ResourceClient, isGone, retryOnConflict,
  type ClientOptions, type DeleteOptions, type ListMeta, type ListOptions, type ObjectList, type PatchOptions,
  type PatchType, type TypedWatchEvent, type TypedWatchHandlers, type WatchOptions, type WriteOptions,
} from './client.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { Indexer, NAMESPACE_INDEX, objectKey, splitKey, type IndexFunc, type Store } from './cache.js';
export { deepFreeze } from '../util/clone.js';
export { SharedInformer, type EventHandlers, type HandlerRegistration, type InformerOptions } from './informer.js';
export { SharedInformerFactory, type FactoryOptions, type InformerScope } from './informer-factory.js';
export {
  BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter, type RateLimiter,
} from './rate-limiter.js';
export { WorkQueue, runWorkers, type RunWorkersOptions, type WorkQueueOptions } from './workqueue.js';
export { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
export { microTime } from '../util/time.js';
