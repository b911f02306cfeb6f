// The HPA's status conditions (AbleToScale, ScalingActive, ScalingLimited): setting one
// keeps its lastTransitionTime unless its status changes, as the controller does.
import { formatTime } from '../../util/time.js';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

export interface ConditionUpdate {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface HPACondition extends ConditionUpdate {
  lastTransitionTime?: string;
}

/** A new conditions list with `update` applied (the input is not modified). */
export function setCondition(conditions: HPACondition[] | undefined, update: ConditionUpdate, now: number): HPACondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === update.type);
  const prior = i >= 0 ? list[i] : undefined;
  const lastTransitionTime = prior && prior.status === update.status && prior.lastTransitionTime ? prior.lastTransitionTime : formatTime(now);
  const next: HPACondition = { type: update.type, status: update.status, lastTransitionTime, reason: update.reason, message: update.message };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
