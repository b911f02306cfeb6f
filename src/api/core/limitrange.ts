import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr } from '../validation.js';
import { asArray, compareQuantity, isObject, validateEnum, validateQualifiedName, validateResourceQuantity } from './validate-helpers.js';

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];
const FIELDS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

/** SetDefaults_LimitRangeItem: container defaults fall back to max, requests to the default or min. */
function defaultItem(item: any): void {
  if (!isObject(item) || item.type !== 'Container') return;
  const def: Record<string, unknown> = { ...(isObject(item.default) ? item.default : {}) };
  const req: Record<string, unknown> = { ...(isObject(item.defaultRequest) ? item.defaultRequest : {}) };
  for (const [k, v] of Object.entries(isObject(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(isObject(item.min) ? item.min : {})) if (!(k in req)) req[k] = v;
  if (Object.keys(def).length) item.default = def;
  if (Object.keys(req).length) item.defaultRequest = req;
}

function validateItem(item: any, path: string): FieldError[] {
  const errs = validateEnum(item?.type, `${path}.type`, LIMIT_TYPES);
  const lists: Record<string, Record<string, unknown>> = {};
  for (const f of FIELDS) {
    lists[f] = isObject(item?.[f]) ? item[f] : {};
    for (const [k, q] of Object.entries(lists[f]!)) {
      errs.push(...validateQualifiedName(k, `${path}.${f}[${k}]`), ...validateResourceQuantity(k, q, `${path}.${f}[${k}]`));
    }
  }
  const { max, min, default: dflt, defaultRequest: req, maxLimitRequestRatio: ratio } = lists as Record<(typeof FIELDS)[number], Record<string, unknown>>;
  if (item?.type === 'Pod') {
    if (Object.keys(dflt).length) errs.push(fieldErr.forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
    if (Object.keys(req).length) errs.push(fieldErr.forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  }
  const keys = new Set(FIELDS.flatMap((f) => Object.keys(lists[f]!)));
  const s = (v: unknown) => String(v);
  for (const k of keys) {
    if (k in min && k in max && compareQuantity(min[k], max[k]) > 0)
      errs.push(fieldErr.invalid(`${path}.min[${k}]`, s(min[k]), `min value ${s(min[k])} is greater than max value ${s(max[k])}`));
    if (k in req && k in min && compareQuantity(min[k], req[k]) > 0)
      errs.push(fieldErr.invalid(`${path}.defaultRequest[${k}]`, s(req[k]), `min value ${s(min[k])} is greater than default request value ${s(req[k])}`));
    if (k in req && k in max && compareQuantity(req[k], max[k]) > 0)
      errs.push(fieldErr.invalid(`${path}.defaultRequest[${k}]`, s(req[k]), `default request value ${s(req[k])} is greater than max value ${s(max[k])}`));
    if (k in req && k in dflt && compareQuantity(req[k], dflt[k]) > 0)
      errs.push(
        fieldErr.invalid(`${path}.defaultRequest[${k}]`, s(req[k]), `default request value ${s(req[k])} is greater than default limit value ${s(dflt[k])}`),
      );
    if (k in dflt && k in min && compareQuantity(min[k], dflt[k]) > 0)
      errs.push(fieldErr.invalid(`${path}.default[${k}]`, s(min[k]), `min value ${s(min[k])} is greater than default value ${s(dflt[k])}`));
    if (k in dflt && k in max && compareQuantity(dflt[k], max[k]) > 0)
      errs.push(fieldErr.invalid(`${path}.default[${k}]`, s(max[k]), `default value ${s(dflt[k])} is greater than max value ${s(max[k])}`));
    if (k in ratio && compareQuantity(ratio[k], '1') < 0)
      errs.push(fieldErr.invalid(`${path}.maxLimitRequestRatio[${k}]`, s(ratio[k]), `ratio ${s(ratio[k])} is less than 1`));
  }
  return errs;
}

export function validateLimitRange(lr: KObject): FieldError[] {
  return asArray(lr.spec?.limits).flatMap((item, i) => validateItem(item, `spec.limits[${i}]`));
}

/** No server-side printer exists for LimitRanges, so the default NAME / CREATED AT table applies. */
export const limitranges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  defaults(lr) {
    for (const item of asArray(lr.spec?.limits)) defaultItem(item);
  },
  validate: validateLimitRange,
};
