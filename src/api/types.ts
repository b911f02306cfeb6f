// The description of one served resource. Each API group folder (src/api/core, src/api/apps, …)
// exports a list of these; the apiserver's generic handlers do everything else.

/** Any Kubernetes object as plain JSON. */
export type KObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, any>;
  [key: string]: any;
};

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid';

/** One problem with one field, as Kubernetes' field.Error. */
export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indexes, e.g. spec.template.spec.containers[0].image */
  field: string;
  /** The full message for the cause, e.g. `Invalid value: "Foo": a lowercase RFC 1123 …` */
  message: string;
}

/** A column of a server-side Table, as meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string; // 'name' for the NAME column
  description: string;
  /** 0: shown by `kubectl get`; 1: only with `-o wide`. */
  priority: number;
}

export interface TableDef {
  columns: TableColumn[];
  /** One cell per column, in order. `now` is for AGE-like columns. */
  row(obj: KObject, now: number): unknown[];
}

/** How the scale subresource reads and writes a resource (autoscaling/v1 Scale). */
export interface ScaleDef {
  /** Path to spec.replicas, default ['spec','replicas']. */
  specReplicasPath?: string[];
  statusReplicasPath?: string[];
  /** Label selector string for status.selector, computed from the object. */
  selector(obj: KObject): string;
}

/** The authenticated user as a strategy sees it (the apiserver's UserInfo). */
export interface Requester {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Verbs served; default: create delete deletecollection get list patch update watch. */
  verbs?: string[];
  /** Subresources beyond the main resource. */
  subresources?: {
    status?: boolean;
    scale?: ScaleDef;
    /** pods/binding */
    binding?: boolean;
    /** pods/ephemeralcontainers: validated by `validateEphemeralContainersUpdate`. */
    ephemeralContainers?: boolean;
    /** certificatesigningrequests/approval: only status.conditions is taken from the client. */
    approval?: boolean;
  };
  /** On create, records who asked (a CSR's spec.username, groups, uid, extra). */
  stampRequester?(obj: KObject, user: Requester): void;
  /** Strategy hook on a write through /status or /approval, after the write's shape is applied. */
  prepareForSubresourceUpdate?(sub: 'status' | 'approval', obj: KObject, old: KObject): void;
  /** Whether metadata.generation is kept (bumped when anything but metadata/status changes). */
  generation?: boolean;
  /**
   * Fills defaults in place on a fresh copy, before validation, on create and update —
   * the way Kubernetes' defaulting functions do (e.g. a container's imagePullPolicy).
   */
  defaults?(obj: KObject): void;
  /** Strategy hook on create, after defaulting: e.g. reset status, set pod phase Pending. */
  prepareForCreate?(obj: KObject): void;
  /** Strategy hook on update of the main resource (status already carried over from old). */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  /** Validation of the whole object, on create and on every update. */
  validate?(obj: KObject): FieldError[];
  /** Checks only a create makes (after `validate`): fields no client may set at creation. */
  validateCreate?(obj: KObject): FieldError[];
  /** Validation on update: immutable fields and transitions. Also called after `validate`. */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Validation of a status update. */
  validateStatusUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Validation of a write through pods/ephemeralcontainers (after `validate`). */
  validateEphemeralContainersUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Server-side table columns and rows for `kubectl get`. */
  table?: TableDef;
  /**
   * Extra field selectors beyond metadata.name and metadata.namespace,
   * each mapping an object to the field's string value.
   */
  fieldSelectors?: Record<string, (obj: KObject) => string | undefined>;
  /** Name validation function: default DNS-1123 subdomain. Return messages. */
  validateName?(name: string): string[];
  /** PUT of a missing object creates it (endpoints, events, leases). */
  allowCreateOnUpdate?: boolean;
  /** DELETE answers with the deleted object instead of a Status (pods). */
  returnDeletedObject?: boolean;
  /**
   * Graceful deletion: the grace period to use given the request's (undefined: none asked).
   * 0 means delete now. Absent: every delete is immediate (unless finalizers are pending).
   */
  gracePeriod?(obj: KObject, requested: number | undefined): number;
  /** Finalizers beyond metadata.finalizers that hold an object being deleted (a Namespace's spec.finalizers). */
  finalizersPending?(obj: KObject): boolean;
  /** Called on a fresh copy when an object is first marked for deletion (a Namespace turns Terminating). */
  onDeletionMarked?(obj: KObject): void;
  /** Custom resources (from a CRD): the version's openAPIV3Schema, for OpenAPI documents and explain. */
  customSchema?: Record<string, unknown>;
  /**
   * Paths of fields in `obj` the type does not know (e.g. `spec.bogus`), which defaulting would
   * prune: custom resources report them here for fieldValidation Strict/Warn.
   */
  unknownFields?(obj: KObject): string[];
}

export const DEFAULT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
