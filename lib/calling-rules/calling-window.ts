import type { Static } from '@sinclair/typebox'
import type { CallingWindowSchema } from '../../schemas/calls.js'

/** When customers may be called: minute ranges of the day, on some weekdays, in an IANA timezone (schemas/calls.ts). */
export type CallingWindow = Static<typeof CallingWindowSchema>

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** A window that cannot be used, and why. */
export class CallingWindowError extends Error {
  readonly statusCode = 400
}

interface Compiled {
  timezone: string
  days: Set<number>
  /** [start, end) minutes of the day, sorted. */
  ranges: Array<[number, number]>
}

const RANGE = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/

/** Checks a window, and answers it in a form that is quick to ask. */
function compile (window: CallingWindow): Compiled {
  try {
    formatter(window.timezone)
  } catch {
    throw new CallingWindowError(`Unknown timezone: ${window.timezone}`)
  }
  if (window.days.length === 0) throw new CallingWindowError('A calling window needs at least one day')
  if (window.hours.length === 0) throw new CallingWindowError('A calling window needs at least one range of hours')
  const ranges = window.hours.map((text): [number, number] => {
    const match = RANGE.exec(text)
    const [start, end] = match ? [Number(match[1]) * 60 + Number(match[2]), Number(match[3]) * 60 + Number(match[4])] : [0, 0]
    if (!match || Number(match[2]) > 59 || Number(match[4]) > 59 || start >= end || end > 1440) {
      throw new CallingWindowError(`Calling hours must be HH:MM-HH:MM within one day, start before end: ${text}`)
    }
    return [start, end]
  }).sort((a, b) => a[0] - b[0])
  const days = new Set(window.days.map((day) => {
    const index = WEEKDAYS.indexOf(day)
    if (index === -1) throw new CallingWindowError(`Unknown weekday: ${day} (use ${WEEKDAYS.join(', ')})`)
    return index
  }))
  return { timezone: window.timezone, days, ranges }
}

/** Throws CallingWindowError when the window cannot be used. */
export function checkWindow (window: CallingWindow): void {
  compile(window)
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter (timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'
    })
    formatters.set(timezone, format)
  }
  return format
}

/** The wall clock of `timezone` at `time`, as if it were UTC (so that date arithmetic on it is plain). */
function wallClock (time: number, timezone: string): number {
  const parts: Record<string, number> = {}
  for (const part of formatter(timezone).formatToParts(time)) parts[part.type] = Number(part.value)
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
}

/** The instant the wall clock of `timezone` shows `wall` (as from wallClock); in a DST gap, the gap's end. */
function instantOf (wall: number, timezone: string): number {
  const first = wall - (wallClock(wall, timezone) - wall)
  const second = wall - (wallClock(first, timezone) - first)
  if (wallClock(second, timezone) === wall) return second
  // A wall time skipped by a DST change: the first minute after the gap lies between the two guesses.
  let [before, after] = [Math.min(first, second), Math.max(first, second)]
  while (after - before > 60_000) {
    const middle = before + Math.floor((after - before) / 120_000) * 60_000
    if (wallClock(middle, timezone) >= wall) after = middle
    else before = middle
  }
  return after
}

const DAY = 86_400_000

/** Whether the window is open at `at`. */
export function isOpen (window: CallingWindow, at: Date): boolean {
  return openAt(compile(window), at.getTime())
}

function openAt (compiled: Compiled, time: number): boolean {
  const wall = wallClock(time, compiled.timezone)
  const minute = Math.floor((wall % DAY) / 60_000)
  return compiled.days.has(new Date(wall).getUTCDay()) && compiled.ranges.some(([start, end]) => minute >= start && minute < end)
}

/** The first instant from `from` on when the window is open: `from` itself when it is open then. */
export function nextOpening (window: CallingWindow, from: Date): Date {
  const compiled = compile(window)
  if (openAt(compiled, from.getTime())) return from
  const wall = wallClock(from.getTime(), compiled.timezone)
  const midnight = wall - (wall % DAY)
  // A valid window opens within eight days whatever the day: a range's start is found on the wall clock, then
  // made an instant (a range wholly inside a DST gap is not open that day, and the search goes on to the next).
  for (let day = 0; ; day++) {
    const date = midnight + day * DAY
    if (!compiled.days.has(new Date(date).getUTCDay())) continue
    const opening = compiled.ranges.map(([start]) => instantOf(date + start * 60_000, compiled.timezone))
      .find((instant) => instant > from.getTime() && openAt(compiled, instant))
    if (opening !== undefined) return new Date(opening)
  }
}

/** Parses `mon-fri`, `mon,wed,fri`, `sat-sun` ...: ranges wrap around the week (`fri-mon`). */
export function parseDays (text: string): Weekday[] {
  const days = new Set<Weekday>()
  for (const part of text.toLowerCase().split(',').map((item) => item.trim()).filter(Boolean)) {
    const [first, last = first] = part.split('-').map((item) => item.trim()) as [string, string?]
    const from = WEEKDAYS.indexOf(first as Weekday)
    const to = WEEKDAYS.indexOf(last as Weekday)
    if (from === -1 || to === -1) throw new CallingWindowError(`Unknown weekday in ${part} (use ${WEEKDAYS.join(', ')})`)
    for (let day = from; ; day = (day + 1) % 7) {
      days.add(WEEKDAYS[day]!)
      if (day === to) break
    }
  }
  return WEEKDAYS.filter((day) => days.has(day))
}

/** A window from settings as people write them: `09:00-13:00,14:00-21:00`, `mon-fri`, `Asia/Kolkata`. */
export function windowOf (hours: string, days: string, timezone: string): CallingWindow {
  return { timezone, days: parseDays(days), hours: hours.split(',').map((range) => range.trim()) }
}
