import t from 'tap'
import { appWithCustomers } from '../../helper.js'

t.test('the charts\' series: pick-up over time, by hour of the day, attempts per customer, talk time, outcomes', async (t) => {
  const { app, get } = await appWithCustomers(t, { CALLING_TIMEZONE: 'Asia/Kolkata' }, 'customer_id,name,phone\nA1,Asha,9000000100\nB2,Ravi,9000000200\n')
  // Dialled at 04:00 and 05:00 UTC (09:30 and 10:30 in Kolkata) on two days; talk of 5 s, 45 s and 3 min.
  await app.db.query(`INSERT INTO call (customer_id, phone, status, triggered_by, created_at, dialled_at, answered_at, duration_seconds) VALUES
    ('A1', '+919000000100', 'completed', 'test', '2026-11-02 04:00Z', '2026-11-02 04:00Z', '2026-11-02 04:00:10Z', 5),
    ('A1', '+919000000100', 'busy', 'test', '2026-11-02 05:00Z', '2026-11-02 05:00Z', NULL, NULL),
    ('A1', '+919000000100', 'completed', 'test', '2026-11-03 05:00Z', '2026-11-03 05:00Z', '2026-11-03 05:00:05Z', 45),
    ('B2', '+919000000200', 'completed', 'test', '2026-11-03 05:10Z', '2026-11-03 05:10Z', '2026-11-03 05:10:05Z', 180),
    ('B2', '+919000000200', 'queued', 'test', '2026-11-03 06:00Z', NULL, NULL, NULL)`)
  const { rows: [answered] } = await app.db.query<{ id: string }>('SELECT id FROM call WHERE duration_seconds = 45')
  await app.db.query("INSERT INTO call_conversation (call_id, assistant, stream_sid, outcome) VALUES ($1, 'scripted', 's1', 'confirmed')", [answered!.id])

  const days = (await get('/api/analytics/series')).json()
  t.equal(days.timezone, 'Asia/Kolkata')
  t.same(days.series.over_time, [
    { at: '2026-11-02T00:00', dialled: 2, answered: 1 },
    { at: '2026-11-03T00:00', dialled: 2, answered: 2 }
  ], 'a point a day, queued calls not counted')
  t.same(days.series.by_hour.filter((row: { dialled: number }) => row.dialled > 0), [
    { hour: 9, dialled: 1, answered: 1 },
    { hour: 10, dialled: 3, answered: 2 }
  ], 'hours of the day in Kolkata')
  t.equal(days.series.by_hour.length, 24, 'every hour, for the chart')
  t.same(days.series.attempts, [{ attempts: 1, customers: 1 }, { attempts: 3, customers: 1 }])
  t.same(days.series.talk, [
    { range: 'under 10 s', calls: 1 }, { range: '10-30 s', calls: 0 }, { range: '30-60 s', calls: 1 },
    { range: '1-2 min', calls: 0 }, { range: '2 min or more', calls: 1 }
  ])
  t.same(days.series.outcomes, { confirmed: 1 })

  const hours = (await get('/api/analytics/series?bucket=hour&since=2026-11-03T00:00:00Z&until=2026-11-04T00:00:00Z')).json()
  t.same(hours.series.over_time, [{ at: '2026-11-03T10:00', dialled: 2, answered: 2 }], 'an hour a point, from a moment on')
  t.equal((await get('/api/analytics/series?bucket=week')).statusCode, 400)
  const none = (await get('/api/analytics/series?batch_id=00000000-0000-4000-8000-000000000000')).json()
  t.same(none.series.over_time, [], 'a campaign with no calls: nothing to draw')
  t.equal(none.timezone, 'Asia/Kolkata')
})
