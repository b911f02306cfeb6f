// When a CronJob's schedule fires: the next time after a moment, in the schedule's time
// zone (the CronJob's timeZone, a TZ= prefix, or the controller's local zone), with
// robfig/cron's day rule (day-of-month OR day-of-week unless one of them is `*`).
import { parseCronSchedule, type CronSchedule } from '../../api/batch/cron-schedule.js';

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function formatter(tz: string | undefined): Intl.DateTimeFormat {
  const key = tz ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    });
    formatters.set(key, f);
  }
  return f;
}

export function localTime(ms: number, tz: string | undefined): LocalTime {
  const out: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) out[p.type] = p.value;
  return { year: Number(out.year), month: Number(out.month), day: Number(out.day), hour: Number(out.hour) % 24, minute: Number(out.minute), weekday: WEEKDAYS[out.weekday!] ?? 0 };
}

export interface Schedule {
  /** The first firing strictly after `ms`, or undefined when none within five years. */
  next(ms: number): number | undefined;
  timeZone?: string;
}

const MINUTE = 60_000;

export function compileSchedule(spec: string, timeZone?: string | null): Schedule {
  const s: CronSchedule = parseCronSchedule(spec);
  const tz = timeZone ?? s.timeZone ?? undefined;
  if (s.kind === 'every') {
    const step = Math.max(1, s.seconds) * 1000;
    return { timeZone: tz, next: (ms) => Math.floor(ms / 1000) * 1000 + step };
  }
  return {
    timeZone: tz,
    next(ms) {
      let t = Math.floor(ms / MINUTE) * MINUTE + MINUTE;
      const limit = ms + 5 * 366 * 24 * 60 * MINUTE;
      while (t <= limit) {
        const l = localTime(t, tz);
        const domOk = s.dom.values.has(l.day);
        const dowOk = s.dow.values.has(l.weekday);
        const dayOk = s.dom.star || s.dow.star ? domOk && dowOk : domOk || dowOk;
        if (!s.month.values.has(l.month) || !dayOk) {
          // Skip to late this local day; the hour loop below then reaches the next day.
          t += Math.max(1, 23 - l.hour) * 60 * MINUTE - l.minute * MINUTE;
          continue;
        }
        if (!s.hour.values.has(l.hour)) {
          t += (60 - l.minute) * MINUTE;
          continue;
        }
        if (!s.minute.values.has(l.minute)) {
          t += MINUTE;
          continue;
        }
        return t;
      }
      return undefined;
    },
  };
}

/** RFC 3339 in the schedule's zone, as the cronjob-scheduled-timestamp annotation carries it. */
export function formatInZone(ms: number, tz: string | undefined): string {
  const l = localTime(ms, tz);
  const asUTC = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
  const offsetMin = Math.round((asUTC - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const sec = pad(Math.floor(ms / 1000) % 60);
  const base = `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${sec}`;
  if (offsetMin === 0) return `${base}Z`;
  return `${base}${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
}
