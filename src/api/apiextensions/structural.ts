// The structural-schema rules a CRD's openAPIV3Schema must follow, so that pruning and
// defaulting have one unambiguous type at every node: a type everywhere (except where
// x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields stands in for it),
// items for arrays, no $ref, and metadata restricted to name and generateName.
import type { FieldError } from '../types.js';
import { fieldErr } from '../validation.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

type Where = 'root' | 'property' | 'items' | 'additionalProperties';

const MISSING_TYPE: Record<Where, string> = {
  root: 'must not be empty at the root',
  property: 'must not be empty for specified object fields',
  items: 'must not be empty for specified array items',
  additionalProperties: 'must not be empty for specified object fields',
};

function checkNode(s: any, path: string, where: Where, errs: FieldError[]): void {
  if (!s || typeof s !== 'object' || Array.isArray(s)) {
    errs.push(fieldErr.typeInvalid(path, s, 'must be a schema object'));
    return;
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  if (preserve !== undefined && preserve !== true)
    errs.push(fieldErr.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, preserve, 'must be true or undefined'));
  if (s.$ref !== undefined) errs.push(fieldErr.forbidden(`${path}.$ref`, '$ref is not supported'));
  if (s.type === undefined || s.type === '') {
    if (!intOrString && preserve !== true) errs.push(fieldErr.required(`${path}.type`, MISSING_TYPE[where]));
  } else if (intOrString) {
    errs.push(fieldErr.invalid(`${path}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true'));
  } else if (!TYPES.includes(s.type)) {
    errs.push(fieldErr.notSupported(`${path}.type`, s.type, TYPES));
  }
  if (where === 'root' && s.type !== undefined && s.type !== 'object') errs.push(fieldErr.invalid(`${path}.type`, s.type, 'must be object at the root'));
  if (s['x-kubernetes-embedded-resource'] === true) {
    if (s.type !== 'object') errs.push(fieldErr.invalid(`${path}.type`, s.type ?? '', 'must be object if x-kubernetes-embedded-resource is true'));
    if (!s.properties && preserve !== true)
      errs.push(
        fieldErr.required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'),
      );
  }
  if (s.nullable !== undefined && typeof s.nullable !== 'boolean') errs.push(fieldErr.typeInvalid(`${path}.nullable`, s.nullable, 'must be a boolean'));
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || Array.isArray(s.properties))
      errs.push(fieldErr.typeInvalid(`${path}.properties`, s.properties, 'must be a map of schemas'));
    else for (const [k, v] of Object.entries(s.properties)) checkNode(v, `${path}.properties[${k}]`, 'property', errs);
    if (s.additionalProperties !== undefined && s.additionalProperties !== null)
      errs.push(fieldErr.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    checkNode(s.additionalProperties, `${path}.additionalProperties`, 'additionalProperties', errs);
  if (s.additionalProperties === false) errs.push(fieldErr.forbidden(`${path}.additionalProperties`, 'additionalProperties cannot be set to false'));
  if (s.type === 'array') {
    if (s.items === undefined || s.items === null) errs.push(fieldErr.required(`${path}.items`, 'must be specified'));
    else if (Array.isArray(s.items)) errs.push(fieldErr.forbidden(`${path}.items`, 'items must be a schema object and not an array'));
    else checkNode(s.items, `${path}.items`, 'items', errs);
  }
  if (s.pattern !== undefined) {
    try {
      new RegExp(s.pattern);
    } catch {
      errs.push(fieldErr.invalid(`${path}.pattern`, s.pattern, 'must be a valid regular expression'));
    }
  }
  if (Array.isArray(s.required) && s.properties && typeof s.properties === 'object')
    s.required.forEach((r: unknown, i: number) => {
      if (typeof r !== 'string') errs.push(fieldErr.typeInvalid(`${path}.required[${i}]`, r, 'must be a string'));
    });
}

function checkMetadata(root: any, path: string, errs: FieldError[]): void {
  const meta = root?.properties?.metadata;
  if (!meta || typeof meta !== 'object') return;
  const p = `${path}.properties[metadata]`;
  if (meta.type !== undefined && meta.type !== 'object') errs.push(fieldErr.invalid(`${p}.type`, meta.type, 'must be object'));
  const extra = Object.keys(meta.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
  if (extra.length || meta.additionalProperties !== undefined || meta['x-kubernetes-preserve-unknown-fields'] !== undefined)
    errs.push(fieldErr.forbidden(p, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
}

/** Errors for a version's openAPIV3Schema at `path` (spec.versions[i].schema.openAPIV3Schema). */
export function validateStructural(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  checkNode(schema, path, 'root', errs);
  if (errs.length === 0) checkMetadata(schema, path, errs);
  return errs;
}
