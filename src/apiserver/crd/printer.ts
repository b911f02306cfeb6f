// additionalPrinterColumns → server-side Table columns, with the JSONPath subset Kubernetes
// accepts for them: .a.b, ['a.b'], [0], [*] and [?(@.type=="Ready")] filters.
import { age, NAME_COLUMN } from '../../api/table.js';
import type { KObject, TableColumn, TableDef } from '../../api/types.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: unknown };

export function parsePath(p: string): Step[] {
  const steps: Step[] = [];
  const re =
    /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\*\]|\['([^']*)'\]|\["([^"]*)"\]|\[\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*("[^"]*"|'[^']*'|[0-9.]+|true|false)\)\]/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < p.length && (m = re.exec(p))) {
    if (m[1] !== undefined) steps.push({ kind: 'field', name: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) steps.push({ kind: 'field', name: (m[3] ?? m[4])! });
    else if (m[5] !== undefined) {
      const raw = m[7]!;
      const value = /^["']/.test(raw) ? raw.slice(1, -1) : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
      steps.push({ kind: 'filter', path: m[5].slice(1).split('.'), op: m[6] as '==' | '!=', value });
    } else steps.push({ kind: 'all' });
  }
  if (re.lastIndex !== p.length) throw new Error(`unsupported JSONPath ${p}`);
  return steps;
}

/** Every value the path selects, in document order. */
export function findResults(obj: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      if (s.kind === 'field') {
        if (typeof v === 'object' && !Array.isArray(v) && (v as any)[s.name] !== undefined) next.push((v as any)[s.name]);
      } else if (s.kind === 'index') {
        if (Array.isArray(v) && s.index < v.length) next.push(v[s.index]);
      } else if (s.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object') next.push(...Object.values(v as object));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: any = item;
          for (const k of s.path) x = x?.[k];
          if ((x === s.value) === (s.op === '==')) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}

export interface PrinterColumn {
  name: string;
  type: TableColumn['type'];
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The column a CRD gets when it declares none, as Kubernetes adds it. */
export const DEFAULT_PRINTER_COLUMNS: PrinterColumn[] = [
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  },
];

function cell(type: string, value: unknown, now: number): unknown {
  switch (type) {
    case 'date':
      if (typeof value !== 'string') return null;
      return Number.isNaN(Date.parse(value)) ? '<invalid>' : age(value, now);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

export function printerTable(columns: PrinterColumn[] | undefined): TableDef {
  const cols = columns?.length ? columns : DEFAULT_PRINTER_COLUMNS;
  const parsed = cols.map((c) => {
    try {
      return parsePath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns: [
      NAME_COLUMN,
      ...cols.map((c) => ({
        name: c.name,
        type: c.type,
        ...(c.format ? { format: c.format } : {}),
        description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
      })),
    ],
    row(obj: KObject, now: number) {
      return [
        obj.metadata?.name,
        ...cols.map((c, i) => {
          const steps = parsed[i];
          if (!steps) return null;
          const results = findResults(obj, steps);
          // Only the first match is shown, as Kubernetes' table convertor does.
          return results.length ? cell(c.type, results[0], now) : null;
        }),
      ];
    },
  };
}
