import type { Frequency } from './workloads.table.ts';

/**
 * Period boundaries on a time zone's calendar (docs/workloads.md): a daily period starts at
 * local midnight, a weekly one on Monday 00:00 local, a monthly one on the 1st 00:00 local.
 * Computed with `Intl` only, so a boundary stays at local midnight across daylight-saving
 * changes (a Berlin week that contains the October change lasts 169 hours).
 */

interface LocalDate {
  year: number;
  month: number; // 1..12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localParts(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** The zone's offset from UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant of local midnight starting `date` in `timeZone` (the first instant of that day when midnight is skipped). */
export function localMidnight(date: LocalDate, timeZone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let guess = wall - offsetAt(wall, timeZone);
  // One correction covers a guess made on the other side of a change.
  guess = wall - offsetAt(guess, timeZone);
  const p = localParts(new Date(guess), timeZone);
  // Midnight skipped by a change (some zones spring forward at 00:00): the day starts later.
  if (p.day !== date.day) guess += 3_600_000;
  return new Date(guess);
}

const addDays = (d: LocalDate, n: number): LocalDate => {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
};

function periodStartDate(frequency: Frequency, today: LocalDate): LocalDate {
  if (frequency === 'daily') return today;
  if (frequency === 'monthly') return { ...today, day: 1 };
  const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay(); // 0 = Sunday
  return addDays(today, -((weekday + 6) % 7));
}

function nextStartDate(frequency: Frequency, start: LocalDate): LocalDate {
  if (frequency === 'daily') return addDays(start, 1);
  if (frequency === 'weekly') return addDays(start, 7);
  return start.month === 12 ? { year: start.year + 1, month: 1, day: 1 } : { year: start.year, month: start.month + 1, day: 1 };
}

/** The period that contains `instant`: `[start, end)`. */
export function periodAt(frequency: Frequency, timeZone: string, instant: Date): { start: Date; end: Date } {
  const p = localParts(instant, timeZone);
  const startDate = periodStartDate(frequency, { year: p.year, month: p.month, day: p.day });
  let start = localMidnight(startDate, timeZone);
  // An instant just before a late-starting midnight belongs to the previous day.
  if (start.getTime() > instant.getTime()) return periodAt(frequency, timeZone, new Date(start.getTime() - 1));
  const end = localMidnight(nextStartDate(frequency, startDate), timeZone);
  if (end.getTime() <= instant.getTime()) start = end;
  return { start, end: start === end ? localMidnight(nextStartDate(frequency, nextStartDate(frequency, startDate)), timeZone) : end };
}
