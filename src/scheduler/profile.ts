// Builds a Framework from a profile: instantiates each plugin once and files it under
// every extension point it implements (multiPoint), honouring per-point enable/disable.
import type { Client } from '../client/client.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { SchedulerCache } from './cache.js';
import { isIgnoredPlugin, POINTS, resolveProfile, type PointName, type ProfileConfig } from './config.js';
import { Framework, Nominator, type ExtensionPoints } from './framework.js';
import type { NamespaceLabels } from './pod-info.js';
import { CycleState, type ClusterEvent, type Plugin } from './types.js';
import { balancedAllocation } from './plugins/balanced-allocation.js';
import { defaultBinder } from './plugins/default-binder.js';
import { defaultPreemption } from './plugins/default-preemption.js';
import { imageLocality } from './plugins/image-locality.js';
import { interPodAffinity } from './plugins/inter-pod-affinity.js';
import { nodeAffinity } from './plugins/node-affinity.js';
import { nodeName } from './plugins/node-name.js';
import { nodeResourcesFit } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { podTopologySpread, type DefaultSelector } from './plugins/pod-topology-spread.js';
import { taintToleration } from './plugins/taint-toleration.js';
import { volumeBinding, type VolumeLookup } from './plugins/volume-binding.js';

export interface PluginHandle {
  client: Client;
  cache: SchedulerCache;
  recorder: EventRecorder;
  nsLabels: NamespaceLabels;
  volumes: VolumeLookup;
  defaultSelector: DefaultSelector;
}

type Factory = (args: Record<string, unknown>, h: PluginHandle, fw: () => Framework) => Plugin;

/** Every plugin by its Kubernetes name. Out-of-tree plugins may be added before profiles are built. */
export const PLUGIN_REGISTRY: Record<string, Factory> = {
  NodeName: () => nodeName(),
  NodeUnschedulable: () => nodeUnschedulable(),
  TaintToleration: () => taintToleration(),
  NodeAffinity: () => nodeAffinity(),
  NodeResourcesFit: (a) => nodeResourcesFit(a),
  NodeResourcesBalancedAllocation: (a) => balancedAllocation(a as never),
  ImageLocality: (_a, h) => imageLocality(h.cache),
  InterPodAffinity: (a, h) => interPodAffinity(h.cache, h.nsLabels, a),
  PodTopologySpread: (a, h) => podTopologySpread(h.cache, h.defaultSelector, a),
  VolumeBinding: (_a, h) => volumeBinding(h.volumes, h.client),
  DefaultPreemption: (_a, h, fw) =>
    defaultPreemption({ cache: h.cache, client: h.client, recorder: h.recorder, framework: fw, newState: () => new CycleState() }),
  DefaultBinder: (_a, h) => defaultBinder(h.client),
};

const METHOD: Record<PointName, keyof Plugin> = {
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
};

export function buildFramework(
  profile: ProfileConfig,
  h: PluginHandle,
  globalPercentage?: number,
): { framework: Framework; pluginEvents: Map<string, Set<ClusterEvent>> } {
  const r = resolveProfile(profile);
  const instances = new Map<string, Plugin>();
  let framework: Framework | undefined;
  const instance = (name: string): Plugin | undefined => {
    if (isIgnoredPlugin(name)) return undefined;
    let p = instances.get(name);
    if (!p) {
      const f = PLUGIN_REGISTRY[name];
      if (!f) throw new Error(`scheduler profile ${profile.schedulerName}: unknown plugin ${JSON.stringify(name)}`);
      p = f(r.args.get(name) ?? {}, h, () => framework!);
      instances.set(name, p);
    }
    return p;
  };
  const points = { preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], permit: [], preBind: [], bind: [] } as ExtensionPoints;
  for (const point of POINTS) {
    const disabled = r.pointDisabled.get(point)!;
    const chosen: { name: string; weight: number }[] = [];
    if (!disabled.has('*'))
      for (const [name, weight] of r.multiPoint) {
        if (disabled.has(name)) continue;
        const p = instance(name);
        if (p?.[METHOD[point]]) chosen.push({ name, weight });
      }
    for (const e of r.pointEnabled.get(point)!) {
      const p = instance(e.name);
      if (!p?.[METHOD[point]]) continue;
      const i = chosen.findIndex((c) => c.name === e.name);
      const weight = e.weight ?? r.multiPoint.get(e.name) ?? 1;
      if (i >= 0) chosen[i]!.weight = weight;
      else chosen.push({ name: e.name, weight });
    }
    for (const c of chosen) {
      const p = instances.get(c.name)!;
      if (point === 'score') points.score.push({ plugin: p, weight: c.weight || 1 });
      else (points[point] as Plugin[]).push(p);
    }
  }
  framework = new Framework(profile.schedulerName, points, new Nominator(), profile.percentageOfNodesToScore ?? globalPercentage);
  const pluginEvents = new Map<string, Set<ClusterEvent>>();
  for (const p of instances.values()) pluginEvents.set(p.name, new Set(p.events ?? []));
  return { framework, pluginEvents };
}
