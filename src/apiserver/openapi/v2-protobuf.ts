// The Swagger 2.0 document in gnostic's protobuf form (openapi.v2.Document), which is the
// only form kubectl's OpenAPI v2 client accepts. Only the messages and fields Skiff's
// documents use are written; field numbers are gnostic's. Vendor extensions, defaults and
// enum values travel as YAML text in openapi.v2.Any, as gnostic encodes them.
import protobuf from 'protobufjs';
import YAML from 'yaml';

type W = protobuf.Writer;
type J = Record<string, any>;

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;

function str(w: W, field: number, v: unknown): void {
  if (typeof v === 'string' && v !== '') w.uint32((field << 3) | LEN).string(v);
}
function strs(w: W, field: number, v: unknown): void {
  if (Array.isArray(v)) for (const s of v) w.uint32((field << 3) | LEN).string(String(s));
}
function bool(w: W, field: number, v: unknown): void {
  if (v === true) w.uint32((field << 3) | VARINT).bool(true);
}
function int64(w: W, field: number, v: unknown): void {
  if (typeof v === 'number') w.uint32((field << 3) | VARINT).int64(v);
}
function double(w: W, field: number, v: unknown): void {
  if (typeof v === 'number') w.uint32((field << 3) | FIXED64).double(v);
}
function msg(w: W, field: number, body: (w: W) => void): void {
  w.uint32((field << 3) | LEN).fork();
  body(w);
  w.ldelim();
}
function any(w: W, field: number, value: unknown): void {
  msg(w, field, (a) => str(a, 2, YAML.stringify(value)));
}
function vendor(w: W, field: number, o: J): void {
  for (const [k, v] of Object.entries(o))
    if (k.startsWith('x-'))
      msg(w, field, (n) => {
        str(n, 1, k);
        any(n, 2, v);
      });
}

function schema(w: W, s: J): void {
  str(w, 1, s.$ref);
  str(w, 2, s.format);
  str(w, 3, s.title);
  str(w, 4, s.description);
  if (s.default !== undefined) any(w, 5, s.default);
  double(w, 6, s.multipleOf);
  double(w, 7, s.maximum);
  bool(w, 8, s.exclusiveMaximum);
  double(w, 9, s.minimum);
  bool(w, 10, s.exclusiveMinimum);
  int64(w, 11, s.maxLength);
  int64(w, 12, s.minLength);
  str(w, 13, s.pattern);
  int64(w, 14, s.maxItems);
  int64(w, 15, s.minItems);
  bool(w, 16, s.uniqueItems);
  int64(w, 17, s.maxProperties);
  int64(w, 18, s.minProperties);
  strs(w, 19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) any(w, 20, e);
  if (s.additionalProperties !== undefined)
    msg(w, 21, (a) => {
      if (typeof s.additionalProperties === 'boolean') a.uint32((2 << 3) | VARINT).bool(s.additionalProperties);
      else msg(a, 1, (x) => schema(x, s.additionalProperties));
    });
  if (s.type) msg(w, 22, (t) => strs(t, 1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items && typeof s.items === 'object') msg(w, 23, (i) => msg(i, 1, (x) => schema(x, s.items)));
  if (s.properties)
    msg(w, 25, (p) => {
      for (const [name, v] of Object.entries(s.properties as J))
        msg(p, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (x) => schema(x, v));
        });
    });
  vendor(w, 31, s);
}

function parameter(w: W, p: J): void {
  // ParametersItem.parameter(1) → Parameter: body_parameter(1) | non_body_parameter(2).
  msg(w, 1, (param) => {
    if (p.in === 'body') {
      msg(param, 1, (b) => {
        str(b, 1, p.description);
        str(b, 2, p.name);
        str(b, 3, p.in);
        bool(b, 4, p.required);
        if (p.schema) msg(b, 5, (x) => schema(x, p.schema));
      });
      return;
    }
    msg(param, 2, (nb) => {
      const path = p.in === 'path';
      msg(nb, path ? 4 : 3, (q) => {
        bool(q, 1, p.required);
        str(q, 2, p.in);
        str(q, 3, p.description);
        str(q, 4, p.name);
        str(q, path ? 5 : 6, p.type);
        bool(q, path ? 19 : 20, p.uniqueItems);
      });
    });
  });
}

function operation(w: W, op: J): void {
  strs(w, 1, op.tags);
  str(w, 3, op.description);
  str(w, 5, op.operationId);
  strs(w, 6, op.produces);
  strs(w, 7, op.consumes);
  for (const p of op.parameters ?? []) msg(w, 8, (x) => parameter(x, p));
  msg(w, 9, (rs) => {
    for (const [code, r] of Object.entries((op.responses ?? {}) as J))
      msg(rs, 1, (n) => {
        str(n, 1, code);
        msg(n, 2, (rv) =>
          msg(rv, 1, (resp) => {
            str(resp, 1, r.description);
            if (r.schema) msg(resp, 2, (si) => msg(si, 1, (x) => schema(x, r.schema)));
          }),
        );
      });
  });
  strs(w, 10, op.schemes);
  vendor(w, 13, op);
}

const METHODS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['patch', 8],
];

/** Encodes a Swagger 2.0 document (as src/apiserver/openapi builds it) as openapi.v2.Document. */
export function encodeSwaggerProtobuf(doc: J): Buffer {
  const w = protobuf.Writer.create();
  str(w, 1, doc.swagger);
  msg(w, 2, (i) => {
    str(i, 1, doc.info?.title);
    str(i, 2, doc.info?.version);
  });
  msg(w, 8, (ps) => {
    for (const [path, item] of Object.entries((doc.paths ?? {}) as J))
      msg(ps, 2, (n) => {
        str(n, 1, path);
        msg(n, 2, (pi) => {
          for (const [m, f] of METHODS) if (item[m]) msg(pi, f, (x) => operation(x, item[m]));
          for (const p of item.parameters ?? []) msg(pi, 9, (x) => parameter(x, p));
        });
      });
  });
  msg(w, 9, (defs) => {
    for (const [name, s] of Object.entries((doc.definitions ?? {}) as J))
      msg(defs, 1, (n) => {
        str(n, 1, name);
        msg(n, 2, (x) => schema(x, s));
      });
  });
  for (const req of doc.security ?? [])
    msg(w, 12, (sr) => {
      for (const [name, scopes] of Object.entries(req as J))
        msg(sr, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (a) => strs(a, 1, scopes));
        });
    });
  if (doc.securityDefinitions)
    msg(w, 13, (sd) => {
      for (const [name, def] of Object.entries(doc.securityDefinitions as J))
        msg(sd, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (item) =>
            msg(item, 2, (k) => {
              str(k, 1, def.type);
              str(k, 2, def.name);
              str(k, 3, def.in);
              str(k, 4, def.description);
            }),
          );
        });
    });
  return Buffer.from(w.finish());
}
