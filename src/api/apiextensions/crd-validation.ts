// Validation of a CustomResourceDefinition: names, versions (exactly one storage version),
// scope, subresources, printer columns, and the structural-schema rules, worded as
// Kubernetes' apiextensions validation words them.
import type { FieldError, KObject } from '../types.js';
import { fieldErr, immutable, isDNS1035Label, isDNS1123Subdomain } from '../validation.js';
import { validateStructural } from './structural.js';

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const COLUMN_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'password'];
const VERSION_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function dns1035(value: unknown, path: string, errs: FieldError[], lower = false): void {
  if (typeof value !== 'string' || !value) return;
  const msgs = isDNS1035Label(lower ? value.toLowerCase() : value);
  if (msgs.length) errs.push(fieldErr.invalid(path, value, msgs.join(',')));
}

function validateNames(names: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!names || typeof names !== 'object') return [fieldErr.required(path)];
  for (const f of ['plural', 'singular', 'kind', 'listKind'] as const) {
    if (!names[f]) errs.push(fieldErr.required(`${path}.${f}`));
  }
  dns1035(names.plural, `${path}.plural`, errs);
  dns1035(names.singular, `${path}.singular`, errs);
  dns1035(names.kind, `${path}.kind`, errs, true);
  dns1035(names.listKind, `${path}.listKind`, errs, true);
  if (names.kind && names.kind === names.listKind)
    errs.push(fieldErr.invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same or parameter'));
  const lists: [string, unknown][] = [
    ['shortNames', names.shortNames],
    ['categories', names.categories],
  ];
  for (const [f, list] of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errs.push(fieldErr.typeInvalid(`${path}.${f}`, list, 'must be a list of strings'));
      continue;
    }
    list.forEach((v, i) => {
      dns1035(v, `${path}.${f}[${i}]`, errs);
    });
  }
  return errs;
}

/** `.spec.replicas`-style paths: a dotted path that starts under `.spec` or `.status`. */
function validateScalePath(value: unknown, path: string, roots: string[], required: boolean): FieldError[] {
  if (value === undefined || value === '') return required ? [fieldErr.required(path)] : [];
  if (typeof value !== 'string' || !/^(\.[A-Za-z0-9_-]+)+$/.test(value))
    return [fieldErr.invalid(path, value, 'must be a simple json path starting with .spec or .status')];
  if (!roots.some((r) => value === r || value.startsWith(`${r}.`))) return [fieldErr.invalid(path, value, `should be a json path under ${roots.join(' or ')}`)];
  return [];
}

function validateSubresources(sub: any, path: string): FieldError[] {
  if (sub === undefined || sub === null) return [];
  if (typeof sub !== 'object') return [fieldErr.typeInvalid(path, sub, 'must be an object')];
  const errs: FieldError[] = [];
  const scale = sub.scale;
  if (scale !== undefined && scale !== null) {
    errs.push(...validateScalePath(scale.specReplicasPath, `${path}.scale.specReplicasPath`, ['.spec'], true));
    errs.push(...validateScalePath(scale.statusReplicasPath, `${path}.scale.statusReplicasPath`, ['.status'], true));
    errs.push(...validateScalePath(scale.labelSelectorPath, `${path}.scale.labelSelectorPath`, ['.spec', '.status'], false));
  }
  return errs;
}

/** The JSONPath subset printer columns accept: fields, indexes, [*] and simple filters. */
export function isValidColumnPath(p: string): boolean {
  return /^(\.[A-Za-z0-9_$-]+|\[(\d+|\*|'[^']*'|"[^"]*"|\?\(@(\.[A-Za-z0-9_-]+)+\s*(==|!=)\s*("[^"]*"|'[^']*'|[0-9.]+|true|false)\))\])+$/.test(p);
}

function validateColumns(cols: unknown, path: string): FieldError[] {
  if (cols === undefined || cols === null) return [];
  if (!Array.isArray(cols)) return [fieldErr.typeInvalid(path, cols, 'must be a list')];
  const errs: FieldError[] = [];
  cols.forEach((c: any, i) => {
    const p = `${path}[${i}]`;
    if (!c?.name) errs.push(fieldErr.required(`${p}.name`));
    if (!c?.type) errs.push(fieldErr.required(`${p}.type`));
    else if (!COLUMN_TYPES.includes(c.type)) errs.push(fieldErr.notSupported(`${p}.type`, c.type, COLUMN_TYPES));
    if (c?.format && !COLUMN_FORMATS.includes(c.format)) errs.push(fieldErr.notSupported(`${p}.format`, c.format, COLUMN_FORMATS));
    if (!c?.jsonPath) errs.push(fieldErr.required(`${p}.jsonPath`));
    else if (typeof c.jsonPath !== 'string' || !isValidColumnPath(c.jsonPath))
      errs.push(fieldErr.invalid(`${p}.jsonPath`, c.jsonPath, 'must be a simple json path'));
    if (c?.priority !== undefined && (!Number.isInteger(c.priority) || c.priority < 0))
      errs.push(fieldErr.invalid(`${p}.priority`, c.priority, 'must be greater than or equal to 0'));
  });
  return errs;
}

function validateVersions(spec: any): FieldError[] {
  const path = 'spec.versions';
  const versions = spec.versions;
  if (!Array.isArray(versions) || versions.length === 0) return [fieldErr.required(path, 'must have exactly one version marked as storage version')];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((v: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!v || typeof v !== 'object') {
      errs.push(fieldErr.typeInvalid(p, v, 'must be an object'));
      return;
    }
    if (!v.name) errs.push(fieldErr.required(`${p}.name`));
    else if (typeof v.name !== 'string' || !VERSION_RE.test(v.name) || v.name.length > 63)
      errs.push(fieldErr.invalid(`${p}.name`, v.name, isDNS1035Label(String(v.name)).join(',') || 'must be a DNS-1035 label'));
    else if (seen.has(v.name)) errs.push(fieldErr.duplicate(`${p}.name`, v.name));
    else seen.add(v.name);
    if (v.storage === true) storage++;
    const schema = v.schema?.openAPIV3Schema;
    if (schema === undefined || schema === null) errs.push(fieldErr.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'));
    else errs.push(...validateStructural(schema, `${p}.schema.openAPIV3Schema`));
    errs.push(...validateSubresources(v.subresources, `${p}.subresources`));
    errs.push(...validateColumns(v.additionalPrinterColumns, `${p}.additionalPrinterColumns`));
    if (Array.isArray(v.selectableFields))
      v.selectableFields.forEach((f: any, j: number) => {
        if (!f?.jsonPath) errs.push(fieldErr.required(`${p}.selectableFields[${j}].jsonPath`));
        else errs.push(...validateScalePath(f.jsonPath, `${p}.selectableFields[${j}].jsonPath`, ['.spec', '.status'], true));
      });
  });
  if (storage !== 1)
    errs.push(
      fieldErr.invalid(
        path,
        versions.map((v: any) => v?.name),
        'must have exactly one version marked as storage version',
      ),
    );
  if (!versions.some((v: any) => v?.served === true))
    errs.push(
      fieldErr.invalid(
        path,
        versions.map((v: any) => v?.name),
        'must have at least one version marked as served',
      ),
    );
  for (const [i, v] of versions.entries())
    if (v?.storage === true && v.served !== true) errs.push(fieldErr.invalid(`${path}[${i}].served`, false, 'the storage version must be served'));
  return errs;
}

export function validateCRD(obj: KObject): FieldError[] {
  const spec = obj.spec;
  if (!spec || typeof spec !== 'object') return [fieldErr.required('spec')];
  const errs: FieldError[] = [];
  const name = obj.metadata?.name;
  if (spec.names?.plural && spec.group && name !== `${spec.names.plural}.${spec.group}`)
    errs.push(fieldErr.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (!spec.group) errs.push(fieldErr.required('spec.group'));
  else if (typeof spec.group !== 'string') errs.push(fieldErr.typeInvalid('spec.group', spec.group, 'must be a string'));
  else {
    const msgs = isDNS1123Subdomain(spec.group);
    if (msgs.length) errs.push(fieldErr.invalid('spec.group', spec.group, msgs.join(',')));
    if (spec.group.split('.').length < 2) errs.push(fieldErr.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(fieldErr.required('spec.scope'));
  else if (!SCOPES.includes(spec.scope)) errs.push(fieldErr.notSupported('spec.scope', spec.scope, SCOPES));
  errs.push(...validateNames(spec.names, 'spec.names'));
  errs.push(...validateVersions(spec));
  const strategy = spec.conversion?.strategy;
  if (strategy !== undefined && !['None', 'Webhook'].includes(strategy))
    errs.push(fieldErr.notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']));
  if (strategy === 'Webhook' && !spec.conversion.webhook?.clientConfig)
    errs.push(fieldErr.required('spec.conversion.webhook', 'required when strategy is set to Webhook'));
  if (spec.preserveUnknownFields === true)
    errs.push(fieldErr.invalid('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'));
  return errs;
}

export function validateCRDUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = [...immutable(obj.spec?.scope, old.spec?.scope, 'spec.scope'), ...immutable(obj.spec?.group, old.spec?.group, 'spec.group')];
  // A version whose objects may still be stored cannot lose its storage role silently.
  const stored: string[] = obj.status?.storedVersions ?? [];
  const names = new Set((obj.spec?.versions ?? []).map((v: any) => v?.name));
  stored.forEach((s, i) => {
    if (!names.has(s)) errs.push(fieldErr.invalid(`status.storedVersions[${i}]`, s, 'must appear in spec.versions'));
  });
  return errs;
}

export function validateCRDStatus(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const conds = obj.status?.conditions;
  if (conds !== undefined && !Array.isArray(conds)) errs.push(fieldErr.typeInvalid('status.conditions', conds, 'must be a list'));
  else
    (conds ?? []).forEach((c: any, i: number) => {
      if (!c?.type) errs.push(fieldErr.required(`status.conditions[${i}].type`));
      if (!['True', 'False', 'Unknown'].includes(c?.status))
        errs.push(fieldErr.notSupported(`status.conditions[${i}].status`, c?.status, ['True', 'False', 'Unknown']));
    });
  const stored = obj.status?.storedVersions;
  if (stored !== undefined && !Array.isArray(stored)) errs.push(fieldErr.typeInvalid('status.storedVersions', stored, 'must be a list'));
  return errs;
}
