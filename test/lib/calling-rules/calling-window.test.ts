import { test } from 'tap'
import { checkWindow, isOpen, nextOpening, parseDays, type CallingWindow } from '../../../lib/calling-rules/calling-window.js'

const india: CallingWindow = { timezone: 'Asia/Kolkata', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: ['09:00-21:00'] }
const at = (iso: string) => new Date(iso)

test('India (no DST): open from 09:00 to 21:00 IST, which is 03:30 to 15:30 UTC', async (t) => {
  t.equal(isOpen(india, at('2026-11-25T03:29:59Z')), false, 'a second before nine')
  t.equal(isOpen(india, at('2026-11-25T03:30:00Z')), true, 'nine exactly')
  t.equal(isOpen(india, at('2026-11-25T15:29:59Z')), true, 'a second before nine in the evening')
  t.equal(isOpen(india, at('2026-11-25T15:30:00Z')), false, 'nine in the evening: closed')
  t.same(nextOpening(india, at('2026-11-25T15:30:00Z')), at('2026-11-26T03:30:00Z'), 'closed at night: next morning')
  t.same(nextOpening(india, at('2026-11-25T20:00:00Z')), at('2026-11-26T03:30:00Z'), 'after midnight IST: that morning')
  t.same(nextOpening(india, at('2026-11-25T10:00:00Z')), at('2026-11-25T10:00:00Z'), 'open: now')
})

test('weekdays are the timezone\'s: Friday evening in New York is Saturday in Kolkata', async (t) => {
  const weekdays = { ...india, days: parseDays('mon-fri') }
  // Saturday 2026-11-28 10:00 IST = Saturday 04:30 UTC = Friday 23:30 in New York.
  t.equal(isOpen(weekdays, at('2026-11-28T04:30:00Z')), false, 'Saturday in India: closed')
  t.same(nextOpening(weekdays, at('2026-11-27T16:00:00Z')), at('2026-11-30T03:30:00Z'), 'Friday night: Monday 09:00 IST')
  const newYork = { timezone: 'America/New_York', days: parseDays('mon-fri'), hours: ['09:00-21:00'] }
  t.equal(isOpen(newYork, at('2026-11-28T01:30:00Z')), true, 'Friday 20:30 in New York: open')
  t.equal(isOpen(newYork, at('2026-11-28T02:30:00Z')), false, 'Friday 21:30 in New York: closed')
})

test('several ranges a day: the lunch break waits for the afternoon', async (t) => {
  const split = { ...india, hours: ['14:00-18:00', '09:00-13:00'] }
  t.equal(isOpen(split, at('2026-11-25T07:30:00Z')), false, '13:00 IST')
  t.same(nextOpening(split, at('2026-11-25T07:30:00Z')), at('2026-11-25T08:30:00Z'), '14:00 IST')
  t.same(nextOpening(split, at('2026-11-25T13:00:00Z')), at('2026-11-26T03:30:00Z'), '18:30 IST: tomorrow at 09:00')
  const allDay = { ...india, hours: ['00:00-24:00'] }
  t.equal(isOpen(allDay, at('2026-11-25T18:29:00Z')), true, 'a minute before midnight IST')
})

test('a zone with DST: 09:00 local is 14:00 UTC in winter, 13:00 UTC in summer, across each change', async (t) => {
  const newYork: CallingWindow = { timezone: 'America/New_York', days: parseDays('mon-sun'), hours: ['09:00-17:00'] }
  // DST starts Sunday 2026-03-08 at 02:00 local.
  t.same(nextOpening(newYork, at('2026-03-07T23:00:00Z')), at('2026-03-08T13:00:00Z'), 'Saturday night (EST) to Sunday 09:00 EDT')
  t.equal(isOpen(newYork, at('2026-03-08T12:59:00Z')), false)
  t.equal(isOpen(newYork, at('2026-03-08T13:00:00Z')), true)
  // DST ends Sunday 2026-11-01 at 02:00 local.
  t.same(nextOpening(newYork, at('2026-10-31T22:00:00Z')), at('2026-11-01T14:00:00Z'), 'Saturday evening (EDT) to Sunday 09:00 EST')
  // A window starting inside the hour the clocks skip opens when the skipped hour ends.
  const night: CallingWindow = { ...newYork, hours: ['02:30-04:00'] }
  t.same(nextOpening(night, at('2026-03-08T05:00:00Z')), at('2026-03-08T07:00:00Z'), '02:30 does not exist that night: 03:00 EDT')
  // London: 09:00 is 09:00 UTC in winter, 08:00 UTC in summer.
  const london: CallingWindow = { timezone: 'Europe/London', days: parseDays('mon-fri'), hours: ['09:00-17:00'] }
  t.same(nextOpening(london, at('2026-03-27T18:00:00Z')), at('2026-03-30T08:00:00Z'), 'Friday to Monday over the change (BST)')
})

test('bad windows are refused with a reason', async (t) => {
  t.throws(() => checkWindow({ ...india, timezone: 'Mars/Olympus' }), { message: /Unknown timezone/, statusCode: 400 })
  t.throws(() => checkWindow({ ...india, days: [] }), /at least one day/)
  t.throws(() => checkWindow({ ...india, hours: [] }), /at least one range/)
  for (const hours of ['21:00-09:00', '9-21', '09:00-24:30', '09:60-10:00', '10:00-10:00']) {
    t.throws(() => checkWindow({ ...india, hours: [hours] }), /HH:MM-HH:MM/, hours)
  }
  t.throws(() => checkWindow({ ...india, days: ['someday' as 'mon'] }), /Unknown weekday/)
  t.throws(() => parseDays('mon-funday'), /Unknown weekday/)
  t.same(parseDays('fri-mon'), ['sun', 'mon', 'fri', 'sat'], 'ranges wrap around the week')
  t.same(parseDays('Sat, sun, sat'), ['sun', 'sat'])
})
