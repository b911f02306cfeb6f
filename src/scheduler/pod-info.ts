// A pod as the scheduler sees it: the object plus what every cycle would otherwise
// recompute (requests, priority, parsed affinity terms). Built once per pod version.
import type { Pod, PodAffinityTerm, Toleration } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSpec, type LabelSelector } from '../api/selectors.js';
import { podRequests, type Resources } from '../api/core/resources.js';

/** Labels of a namespace, for namespaceSelector in affinity terms. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export class AffinityTerm {
  readonly selector: LabelSelector;
  readonly namespaces: Set<string>;
  readonly nsSelector: LabelSelector | undefined;
  readonly topologyKey: string;
  /** Equal for terms that match exactly the same pods in the same domains (weight aside). */
  readonly signature: string;

  constructor(
    term: PodAffinityTerm,
    ownNamespace: string,
    readonly weight = 0,
  ) {
    this.topologyKey = term.topologyKey;
    this.selector = labelSelectorFromSpec(term.labelSelector as never);
    this.namespaces = new Set(term.namespaces ?? []);
    this.nsSelector = term.namespaceSelector ? labelSelectorFromSpec(term.namespaceSelector as never) : undefined;
    // No namespaces and no namespace selector: the term means the pod's own namespace.
    if (this.namespaces.size === 0 && !this.nsSelector) this.namespaces.add(ownNamespace);
    const sel = (x: LabelSelector | undefined) => (x ? [x.empty, x.requirements] : null);
    this.signature = JSON.stringify([this.topologyKey, [...this.namespaces].sort(), sel(this.nsSelector), sel(this.selector)]);
  }

  matches(pod: PodInfo, nsLabels: NamespaceLabels): boolean {
    if (!this.namespaces.has(pod.namespace)) {
      if (!this.nsSelector) return false;
      if (!this.nsSelector.empty && !this.nsSelector.matches(nsLabels(pod.namespace) ?? {})) return false;
    }
    return this.selector.matches(pod.labels);
  }
}

export class PodInfo {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Record<string, string>;
  readonly requests: Resources;
  /** Requests with the scoring defaults for containers that request nothing. */
  readonly nonZeroRequests: Resources;
  priority: number;
  readonly tolerations: Toleration[];
  /** When the pod entered the queue the first time; orders equal priorities. */
  timestamp = 0;
  attempts = 0;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins = new Set<string>();
  private terms?: {
    requiredAffinity: AffinityTerm[];
    requiredAntiAffinity: AffinityTerm[];
    preferredAffinity: AffinityTerm[];
    preferredAntiAffinity: AffinityTerm[];
  };

  constructor(
    readonly pod: Pod,
    priority?: number,
  ) {
    const m = pod.metadata!;
    this.namespace = m.namespace ?? '';
    this.name = m.name ?? '';
    this.key = `${this.namespace}/${this.name}`;
    this.uid = m.uid ?? '';
    this.labels = (m.labels ?? {}) as Record<string, string>;
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    this.priority = priority ?? pod.spec?.priority ?? 0;
    this.tolerations = pod.spec?.tolerations ?? [];
  }

  get nodeName(): string {
    return this.pod.spec?.nodeName ?? '';
  }

  private parsedTerms() {
    if (this.terms) return this.terms;
    const a = this.pod.spec?.affinity;
    const ns = this.namespace;
    this.terms = {
      requiredAffinity: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => new AffinityTerm(t, ns)),
      requiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => new AffinityTerm(t, ns)),
      preferredAffinity: (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => new AffinityTerm(w.podAffinityTerm, ns, w.weight)),
      preferredAntiAffinity: (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
        (w) => new AffinityTerm(w.podAffinityTerm, ns, w.weight),
      ),
    };
    return this.terms;
  }

  get requiredAffinity(): AffinityTerm[] {
    return this.parsedTerms().requiredAffinity;
  }
  get requiredAntiAffinity(): AffinityTerm[] {
    return this.parsedTerms().requiredAntiAffinity;
  }
  get preferredAffinity(): AffinityTerm[] {
    return this.parsedTerms().preferredAffinity;
  }
  get preferredAntiAffinity(): AffinityTerm[] {
    return this.parsedTerms().preferredAntiAffinity;
  }

  get hasAffinity(): boolean {
    const a = this.pod.spec?.affinity;
    return !!(a?.podAffinity || a?.podAntiAffinity);
  }
  get hasRequiredAntiAffinity(): boolean {
    return !!this.pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length;
  }

  get startTime(): number {
    const s = this.pod.status?.startTime ?? this.pod.metadata?.creationTimestamp;
    return s ? Date.parse(s) : 0;
  }
}
