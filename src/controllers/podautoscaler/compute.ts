// From an HPA's metric specs to one replica count: each metric proposes a count, the
// largest wins; a metric that cannot be read sets ScalingActive=False with the reason
// Kubernetes uses (FailedGetResourceMetric, FailedGetPodsMetric…) and an Event. Pods,
// Object and External metrics need a custom or external metrics API, which this cluster
// does not serve yet: they fail as they do in Kubernetes without one.
import type { ConditionUpdate } from './conditions.js';
import { formatMilli, toMilli } from './quantity.js';
import type { RawProposal, ReplicaCalculator, Tolerances, UtilizationProposal } from './replica-calculator.js';
import { DEFAULT_TOLERANCE } from './replica-calculator.js';

export interface HPAEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface MetricsResult {
  /** -1 when no count could be computed (or only a scale-down with some metrics failing). */
  replicas: number;
  metricName: string;
  statuses: any[];
  timestamp: number;
  error?: Error;
  conditions: ConditionUpdate[];
}

interface Proposal {
  replicas: number;
  metricName: string;
  timestamp: number;
  status: any;
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: ConditionUpdate,
  ) {
    super(message);
  }
}

const NO_CUSTOM_METRICS = 'no custom metrics API (custom.metrics.k8s.io) registered';
const NO_EXTERNAL_METRICS = 'the server could not find the requested resource (get externalmetrics.external.metrics.k8s.io)';

function tolerancesOf(behavior: any): Tolerances {
  const t = (q: unknown) => (q == null ? DEFAULT_TOLERANCE : toMilli(q) / 1000);
  return { scaleUp: t(behavior?.scaleUp?.tolerance), scaleDown: t(behavior?.scaleDown?.tolerance) };
}

export class MetricsComputer {
  constructor(
    private readonly calc: ReplicaCalculator,
    private readonly emit: (hpa: any, e: HPAEvent) => void,
  ) {}

  /** The failure condition for a metric, with its Warning Event (getUnableComputeReplicaCountCondition). */
  private unable(hpa: any, reason: string, err: Error): MetricError {
    this.emit(hpa, { type: 'Warning', reason, message: err.message });
    return new MetricError(err.message, {
      type: 'ScalingActive',
      status: 'False',
      reason,
      message: `the HPA was unable to compute the replica count: ${err.message}`,
    });
  }

  async compute(hpa: any, specReplicas: number, selector: string): Promise<MetricsResult> {
    const specs: any[] = hpa.spec?.metrics ?? [];
    const statuses: any[] = specs.map(() => ({ type: '' }));
    let replicas = 0;
    let metricName = '';
    let timestamp = 0;
    let invalid = 0;
    let firstError: MetricError | undefined;
    let firstWrapped: Error | undefined;
    for (let i = 0; i < specs.length; i++) {
      try {
        const p = await this.computeOne(hpa, specs[i], specReplicas, selector);
        statuses[i] = p.status;
        if (replicas === 0 || p.replicas > replicas) {
          replicas = p.replicas;
          metricName = p.metricName;
          timestamp = p.timestamp;
        }
      } catch (err) {
        if (!firstError) {
          firstError = err instanceof MetricError ? err : new MetricError((err as Error).message, invalidCondition(err as Error));
          firstWrapped = (err as { wrapped?: Error }).wrapped ?? (err as Error);
        }
        invalid++;
      }
    }
    const error = firstError ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstWrapped!.message}`) : undefined;
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas))
      return { replicas: -1, metricName: '', statuses, timestamp: 0, error, conditions: firstError ? [firstError.condition] : [] };
    return {
      replicas,
      metricName,
      statuses,
      timestamp,
      error,
      conditions: [
        {
          type: 'ScalingActive',
          status: 'True',
          reason: 'ValidMetricFound',
          message: `the HPA was able to successfully calculate a replica count from ${metricName}`,
        },
      ],
    };
  }

  /** One metric's proposal; a failure carries the wrapped message computeReplicasForMetric returns. */
  private async computeOne(hpa: any, spec: any, specReplicas: number, selector: string): Promise<Proposal> {
    const wrap = (prefix: string, err: MetricError): MetricError => Object.assign(err, { wrapped: new Error(`${prefix}: ${err.message}`) });
    const ns = hpa.metadata?.namespace ?? '';
    switch (spec?.type) {
      case 'Resource':
      case 'ContainerResource': {
        const field = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const src = spec[field] ?? {};
        const container = spec.type === 'Resource' ? '' : (src.container ?? '');
        try {
          const p = await this.resourceProposal(hpa, src, specReplicas, ns, selector, container, spec.type);
          const status: any = { type: spec.type, [field]: { name: src.name, current: p.current } };
          if (container) status[field].container = container;
          return { replicas: p.replicas, metricName: p.metricName, timestamp: p.timestamp, status };
        } catch (err) {
          const prefix = spec.type === 'Resource' ? `failed to get ${src.name} resource metric value` : `failed to get ${src.container} container metric value`;
          throw wrap(prefix, this.unable(hpa, spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric', err as Error));
        }
      }
      case 'Pods': {
        const name = spec.pods?.metric?.name;
        const err = new Error(`unable to get metric ${name}: unable to fetch metrics from custom metrics API: ${NO_CUSTOM_METRICS}`);
        throw wrap('failed to get pods metric value', this.unable(hpa, 'FailedGetPodsMetric', err));
      }
      case 'Object': {
        const o = spec.object ?? {};
        const ref = o.describedObject ?? {};
        const err = new Error(
          `unable to get metric ${o.metric?.name}: ${ref.kind} on ${ns} ${ref.name}/unable to fetch metrics from custom metrics API: ${NO_CUSTOM_METRICS}`,
        );
        throw wrap('failed to get object metric value', this.unable(hpa, 'FailedGetObjectMetric', err));
      }
      case 'External': {
        const name = spec.external?.metric?.name;
        const err = new Error(
          `unable to get external metric ${ns}/${name}/&LabelSelector{}: unable to fetch metrics from external metrics API: ${NO_EXTERNAL_METRICS}`,
        );
        throw wrap(`failed to get ${name} external metric value`, this.unable(hpa, 'FailedGetExternalMetric', err));
      }
      default: {
        const err = new Error(`unknown metric source type "${spec?.type ?? ''}"`);
        throw this.unable(hpa, 'InvalidMetricSourceType', err);
      }
    }
  }

  private async resourceProposal(
    hpa: any,
    src: any,
    specReplicas: number,
    ns: string,
    selector: string,
    container: string,
    type: string,
  ): Promise<{ replicas: number; metricName: string; timestamp: number; current: any }> {
    const target = src.target ?? {};
    const name: string = src.name;
    const tolerances = tolerancesOf(hpa.spec?.behavior);
    if (target.averageValue != null) {
      let p: RawProposal;
      try {
        p = await this.calc.getRawResourceReplicas(specReplicas, toMilli(target.averageValue), name, tolerances, ns, selector, container);
      } catch (err) {
        throw new Error(`failed to get ${name} usage: ${(err as Error).message}`);
      }
      return { replicas: p.replicas, metricName: `${name} resource`, timestamp: p.timestamp, current: { averageValue: formatMilli(p.usage) } };
    }
    if (target.averageUtilization == null)
      throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    let p: UtilizationProposal;
    try {
      p = await this.calc.getResourceReplicas(specReplicas, target.averageUtilization, name, tolerances, ns, selector, container);
    } catch (err) {
      throw new Error(`failed to get ${name} utilization: ${(err as Error).message}`);
    }
    const what = type === 'ContainerResource' ? 'container resource' : 'resource';
    return {
      replicas: p.replicas,
      metricName: `${name} ${what} utilization (percentage of request)`,
      timestamp: p.timestamp,
      current: { averageValue: formatMilli(p.rawAverage), averageUtilization: p.utilization },
    };
  }
}

function invalidCondition(err: Error): ConditionUpdate {
  return {
    type: 'ScalingActive',
    status: 'False',
    reason: 'InvalidMetricSourceType',
    message: `the HPA was unable to compute the replica count: ${err.message}`,
  };
}
