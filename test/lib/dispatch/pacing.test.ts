import t from 'tap'
import { allowance } from '../../../lib/dispatch/pacing.js'

const limits = { callsPerMinute: 60, maxInFlight: 10, priorityLines: 2, maxClaim: 50 }
const quiet = { inFlight: 0, single: 0, lastMinute: 0, sinceLastMs: null }

t.test('after a quiet minute, one call at once; the next a spacing later', async (t) => {
  t.same(allowance(quiet, limits), { allowed: 1, dueInMs: 1000 })
  t.same(allowance({ ...quiet, lastMinute: 1, sinceLastMs: 400 }, limits), { allowed: 0, dueInMs: 600 }, 'due when the spacing has passed')
  t.same(allowance({ ...quiet, lastMinute: 1, sinceLastMs: 2500 }, limits), { allowed: 2, dueInMs: 1000 }, 'a late round catches up')
})

t.test('never more than the rate in a minute, nor more than the free lines', async (t) => {
  t.equal(allowance({ ...quiet, lastMinute: 60, sinceLastMs: 5000 }, limits).allowed, 0, 'the minute is used up')
  t.equal(allowance({ ...quiet, lastMinute: 58, sinceLastMs: 5000 }, limits).allowed, 2)
  t.equal(allowance({ ...quiet, inFlight: 8, sinceLastMs: 5000 }, limits).allowed, 0, 'two lines kept for single calls')
  t.equal(allowance({ inFlight: 9, single: 3, lastMinute: 0, sinceLastMs: 5000 }, limits).allowed, 1,
    'single calls use the priority lines first, then the rest')
  t.equal(allowance({ ...quiet, sinceLastMs: 600_000 }, { ...limits, callsPerMinute: 6000, maxInFlight: 1000 }).allowed, 50,
    'at most maxClaim a round')
})
