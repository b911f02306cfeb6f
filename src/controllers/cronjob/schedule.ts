// When a CronJob's schedule fires: the next time after a moment, in the schedule's time
// zone (the CronJob's timeZone, a TZ= prefix, or the controller's local zone). The schedule
// is checked by the API's robfig/cron parser (its error messages are what users see) and
// then run by croner, set up to behave as robfig/cron does.
import { Cron } from 'croner';
import { parseCronSchedule } from '../../api/batch/cron-schedule.js';

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string | undefined): Intl.DateTimeFormat {
  const key = tz ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(key, f);
  }
  return f;
}

function localTime(ms: number, tz: string | undefined): LocalTime {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) out[p.type] = p.value;
  return { year: Number(out.year), month: Number(out.month), day: Number(out.day), hour: Number(out.hour) % 24, minute: Number(out.minute) };
}

export interface Schedule {
  /** The first firing strictly after `ms`, or undefined when there is none. */
  next(ms: number): number | undefined;
  timeZone?: string;
}

/**
 * The five fields as croner should read them. robfig/cron's `?` is `*` (croner would put the
 * current time there), and a day field counts as `*` exactly when robfig says so (`*`, `?`,
 * `*\/1`): then day-of-month and day-of-week combine with AND, otherwise with OR. A single
 * minute becomes `N-N/1` so croner treats the job as an interval job, as robfig/cron treats
 * every job: a time inside a spring-forward gap does not fire, a repeated time fires twice.
 */
function cronerPattern(fields: string[], domStar: boolean, dowStar: boolean): string {
  const f = fields.map((x) => x.replaceAll('?', '*'));
  if (domStar) f[2] = '*';
  if (dowStar) f[4] = '*';
  if (/^\d+$/.test(f[0]!)) f[0] = `${f[0]}-${f[0]}/1`;
  return f.join(' ');
}

export function compileSchedule(spec: string, timeZone?: string | null): Schedule {
  const s = parseCronSchedule(spec);
  const tz = timeZone ?? s.timeZone ?? undefined;
  if (s.kind === 'every') {
    const step = Math.max(1, s.seconds) * 1000;
    return { timeZone: tz, next: (ms) => Math.floor(ms / 1000) * 1000 + step };
  }
  const cron = new Cron(cronerPattern(s.fields, s.dom.star, s.dow.star), {
    timezone: tz,
    mode: '5-part',
    sloppyRanges: true,
    domAndDow: false,
  });
  return {
    timeZone: tz,
    next: (ms) => cron.nextRun(new Date(ms))?.getTime(),
  };
}

/** RFC 3339 in the schedule's zone, as the cronjob-scheduled-timestamp annotation carries it. */
export function formatInZone(ms: number, tz: string | undefined): string {
  const l = localTime(ms, tz);
  const MINUTE = 60_000;
  const asUTC = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
  const offsetMin = Math.round((asUTC - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const sec = pad(Math.floor(ms / 1000) % 60);
  const base = `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${sec}`;
  if (offsetMin === 0) return `${base}Z`;
  return `${base}${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
}
