// ResourceDefs for the resources a CustomResourceDefinition defines: one per served
// version, sharing one storage prefix; objects are stored in the storage version and,
// with conversion strategy None, only their apiVersion changes between versions.
import type { StorageBinding } from '../../api/registry.js';
import type { KObject, ResourceDef, ScaleDef } from '../../api/types.js';
import { jsonEqual } from '../../api/validation.js';
import { StatusError } from '../status.js';
import { findResults, parsePath, printerTable } from './printer.js';
import { applyDefaults, pruneAndDefault, unknownFields } from './schema.js';
import type { Schema } from './schema.js';
import { SchemaValidator } from './validator.js';

export interface CustomResource {
  def: ResourceDef;
  binding: Partial<StorageBinding> & { prefix: string };
}

function dotted(path: string): string[] {
  return path.replace(/^\./, '').split('.');
}

function scaleDef(scale: any): ScaleDef {
  const selector = scale.labelSelectorPath ? parsePath(scale.labelSelectorPath) : undefined;
  return {
    specReplicasPath: dotted(scale.specReplicasPath),
    statusReplicasPath: dotted(scale.statusReplicasPath),
    selector(obj) {
      if (!selector) return '';
      const v = findResults(obj, selector)[0];
      return typeof v === 'string' ? v : '';
    },
  };
}

function withApiVersion(obj: KObject, apiVersion: string): KObject {
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

/**
 * Objects read from storage get the served version's defaults too, as Kubernetes does, so
 * a default added to the schema later shows on objects stored before it (not written back).
 */
function withReadDefaults(obj: KObject, apiVersion: string, schema: Schema): KObject {
  const copy = structuredClone(obj) as KObject;
  copy.apiVersion = apiVersion;
  const { metadata } = copy;
  applyDefaults(copy, { ...schema, properties: { ...(schema.properties ?? {}), metadata: undefined } });
  copy.metadata = metadata;
  return copy;
}

/** Kubernetes' version priority: GA > beta > alpha, higher numbers first, then the rest by name. */
export function versionPriority(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { rank: 0, major: 0, minor: 0 };
    return { rank: m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.rank !== y.rank) return y.rank - x.rank;
  if (x.rank === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (x.major !== y.major) return y.major - x.major;
  return y.minor - x.minor;
}

/** Definitions for every served version of `crd`, using its accepted names. */
export function customResources(crd: KObject): CustomResource[] {
  const spec = crd.spec;
  const names = crd.status?.acceptedNames?.plural ? { ...spec.names, ...crd.status.acceptedNames } : spec.names;
  const group: string = spec.group;
  const storage = (spec.versions as any[]).find((v) => v.storage === true)?.name as string;
  const storageApiVersion = `${group}/${storage}`;
  const terminating = !!crd.metadata?.deletionTimestamp;
  const prefix = `/registry/${group}/${names.plural}/`;
  const out: CustomResource[] = [];
  for (const v of spec.versions as any[]) {
    if (v.served !== true) continue;
    const schema: Schema | undefined = v.schema?.openAPIV3Schema;
    const validator = schema ? new SchemaValidator(schema) : undefined;
    const apiVersion = `${group}/${v.name}`;
    const status = v.subresources?.status !== undefined && v.subresources?.status !== null;
    const scale = v.subresources?.scale;
    const readDefaults = !!schema && JSON.stringify(schema).includes('"default":');
    const selectable: any[] = Array.isArray(v.selectableFields) ? v.selectableFields : [];
    const def: ResourceDef = {
      group,
      version: v.name,
      kind: names.kind,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      ...(names.shortNames?.length ? { shortNames: [...names.shortNames] } : {}),
      ...(names.categories?.length ? { categories: [...names.categories] } : {}),
      subresources: { ...(status ? { status: true } : {}), ...(scale ? { scale: scaleDef(scale) } : {}) },
      generation: true,
      ...(schema ? { customSchema: schema } : {}),
      defaults: (obj) => pruneAndDefault(obj, schema),
      unknownFields: (obj) => unknownFields(obj, schema),
      prepareForUpdate(obj, old) {
        // Without a status subresource, status is part of what the generation counts.
        if (!status && !jsonEqual(obj.status, old.status)) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
      },
      prepareForCreate(obj) {
        if (terminating) {
          throw new StatusError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating', { group, kind: names.plural });
        }
        if (status) delete obj.status;
      },
      validate: (obj) => validator?.validate(obj) ?? [],
      validateStatusUpdate: (obj) => validator?.validate(obj) ?? [],
      table: printerTable(v.additionalPrinterColumns),
      ...(selectable.length
        ? {
            fieldSelectors: Object.fromEntries(
              selectable.map((f) => {
                const steps = parsePath(f.jsonPath);
                return [
                  f.jsonPath.replace(/^\./, ''),
                  (obj: KObject) => {
                    const x = findResults(obj, steps)[0];
                    return x === undefined || x === null ? '' : String(x);
                  },
                ];
              }),
            ),
          }
        : {}),
    };
    out.push({
      def,
      binding: {
        prefix,
        toStorage: (obj) => withApiVersion(obj, storageApiVersion),
        fromStorage: readDefaults ? (obj) => withReadDefaults(obj, apiVersion, schema!) : (obj) => withApiVersion(obj, apiVersion),
      },
    });
  }
  return out;
}
