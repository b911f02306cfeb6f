// Builds flow control from the server's flags: APF (the default) with its config
// controller, or with --enable-priority-and-fairness=false the max-inflight limiter.
import type { ResourceRegistry } from '../../api/registry.js';
import type { ResourceStorage } from '../rest/resource-store.js';
import type { WatchCache } from '../watch-cache.js';
import { FlowControlConfigController } from './config-controller.js';
import { FlowControl } from './dispatcher.js';
import { type FlowControlHook, flowControlHook } from './http-hook.js';
import { MaxInflight } from './max-inflight.js';

export interface FlowControlSetup {
  flags: { enablePriorityAndFairness?: boolean; maxRequestsInflight?: number; maxMutatingRequestsInflight?: number; requestTimeoutMs?: number };
  /** The dispatcher, when APF is on. */
  dispatcher?: FlowControl;
  hook: FlowControlHook;
  start(): Promise<void>;
  stop(): void;
}

export function setUpFlowControl(
  flags: FlowControlSetup['flags'],
  storage: ResourceStorage,
  cache: WatchCache,
  registry: ResourceRegistry,
  log?: (msg: string, fields?: Record<string, unknown>) => void,
): FlowControlSetup {
  const readOnly = flags.maxRequestsInflight ?? 400;
  const mutating = flags.maxMutatingRequestsInflight ?? 200;
  const countObjects = (group: string, version: string, resource: string, namespace: string | undefined): number | undefined => {
    const def = registry.lookup(group, version, resource);
    if (!def) return undefined;
    const prefix = registry.storage(def).prefix;
    return cache.list(prefix, namespace && def.namespaced ? `${prefix}${namespace}/` : prefix).keys.length;
  };
  if (flags.enablePriorityAndFairness === false) {
    const limiter = new MaxInflight({ readOnly, mutating });
    return { flags, hook: flowControlHook({ maxInflight: limiter }), start: async () => {}, stop() {} };
  }
  const dispatcher = new FlowControl({ maxRequestsInflight: readOnly, maxMutatingRequestsInflight: mutating, requestTimeoutMs: flags.requestTimeoutMs });
  const controller = new FlowControlConfigController(dispatcher, storage, cache, registry, log);
  return {
    flags,
    dispatcher,
    hook: flowControlHook({ flowControl: dispatcher, countObjects }),
    start: () => controller.start(),
    stop: () => controller.stop(),
  };
}
