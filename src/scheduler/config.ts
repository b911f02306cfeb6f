// Profiles from a KubeSchedulerConfiguration-style file (kubescheduler.config.k8s.io/v1):
// which plugins run at which extension point, score weights, plugin args, and
// percentageOfNodesToScore. Without a file: one profile, default-scheduler, with
// Kubernetes' default plugins and weights.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface PluginRef {
  name: string;
  weight?: number;
}
export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}
export type PointName = 'preFilter' | 'filter' | 'postFilter' | 'preScore' | 'score' | 'reserve' | 'permit' | 'preBind' | 'bind';
export const POINTS: PointName[] = ['preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind'];

export interface ProfileConfig {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  plugins?: Partial<Record<PointName | 'multiPoint' | 'queueSort', PluginSet>>;
  pluginConfig?: { name: string; args?: Record<string, unknown> }[];
}

export interface SchedulerConfig {
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  profiles: ProfileConfig[];
}

/** Kubernetes' default plugins (multiPoint), in order, with their default score weights. */
export const DEFAULT_PLUGINS: PluginRef[] = [
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeBinding' },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

// Plugins of Kubernetes' default set that this scheduler does not implement; a config
// naming them is accepted (they are no-ops here) so that real configs load.
const KNOWN_ELSEWHERE = new Set([
  'PrioritySort',
  'NodePorts',
  'VolumeRestrictions',
  'NodeVolumeLimits',
  'EBSLimits',
  'GCEPDLimits',
  'AzureDiskLimits',
  'VolumeZone',
  'SchedulingGates',
  'DynamicResources',
]);

export const defaultConfig = (): SchedulerConfig => ({ profiles: [{ schedulerName: 'default-scheduler' }] });

export function parseSchedulerConfig(text: string): SchedulerConfig {
  const doc = parse(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new Error('scheduler config: not a YAML mapping');
  if (doc.kind !== undefined && doc.kind !== 'KubeSchedulerConfiguration')
    throw new Error(`scheduler config: kind ${String(doc.kind)}, want KubeSchedulerConfiguration`);
  const profiles = ((doc.profiles as ProfileConfig[] | undefined) ?? [{ schedulerName: 'default-scheduler' }]).map((p) => ({
    ...p,
    schedulerName: p.schedulerName || 'default-scheduler',
  }));
  const names = new Set<string>();
  for (const p of profiles) {
    if (names.has(p.schedulerName)) throw new Error(`scheduler config: duplicate profile ${p.schedulerName}`);
    names.add(p.schedulerName);
  }
  const pct = doc.percentageOfNodesToScore as number | undefined;
  if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100)) throw new Error('scheduler config: percentageOfNodesToScore must be in [0, 100]');
  return {
    percentageOfNodesToScore: pct,
    podInitialBackoffSeconds: doc.podInitialBackoffSeconds as number | undefined,
    podMaxBackoffSeconds: doc.podMaxBackoffSeconds as number | undefined,
    profiles,
  };
}

export function loadSchedulerConfig(file: string): SchedulerConfig {
  return parseSchedulerConfig(readFileSync(file, 'utf8'));
}

export interface ResolvedProfile {
  /** Plugin name → score weight (0 for plugins that do not score), in run order. */
  multiPoint: Map<string, number>;
  /** Per point: names explicitly enabled or disabled there. */
  pointEnabled: Map<PointName, PluginRef[]>;
  pointDisabled: Map<PointName, Set<string>>;
  args: Map<string, Record<string, unknown>>;
}

export function resolveProfile(p: ProfileConfig): ResolvedProfile {
  const mp = p.plugins?.multiPoint;
  const disabled = new Set((mp?.disabled ?? []).map((r) => r.name));
  const multiPoint = new Map<string, number>();
  if (!disabled.has('*')) for (const d of DEFAULT_PLUGINS) if (!disabled.has(d.name)) multiPoint.set(d.name, d.weight ?? 0);
  for (const e of mp?.enabled ?? []) multiPoint.set(e.name, e.weight ?? multiPoint.get(e.name) ?? DEFAULT_PLUGINS.find((d) => d.name === e.name)?.weight ?? 1);
  const pointEnabled = new Map<PointName, PluginRef[]>();
  const pointDisabled = new Map<PointName, Set<string>>();
  for (const point of POINTS) {
    const set = p.plugins?.[point];
    pointEnabled.set(point, set?.enabled ?? []);
    pointDisabled.set(point, new Set((set?.disabled ?? []).map((r) => r.name)));
  }
  const args = new Map<string, Record<string, unknown>>();
  for (const c of p.pluginConfig ?? []) args.set(c.name, c.args ?? {});
  for (const name of [...multiPoint.keys()]) if (KNOWN_ELSEWHERE.has(name)) multiPoint.delete(name);
  return { multiPoint, pointEnabled, pointDisabled, args };
}

export const isIgnoredPlugin = (name: string) => KNOWN_ELSEWHERE.has(name);
