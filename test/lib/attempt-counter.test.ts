import t from 'tap'
import { AttemptCounter } from '../../lib/attempt-counter.js'

t.test('allows max attempts per key per window, then says how long to wait', async (t) => {
  let now = 1_000_000
  const counter = new AttemptCounter(2, 60_000, () => now)
  t.same(counter.hit('a'), { allowed: true })
  t.same(counter.hit('a'), { allowed: true })
  t.same(counter.hit('b'), { allowed: true }, 'keys count apart')
  now += 15_000
  t.same(counter.hit('a'), { allowed: false, retryAfterSeconds: 45 })
  now += 45_000
  t.same(counter.hit('a'), { allowed: true }, 'a new window starts when the old one ends')
})
