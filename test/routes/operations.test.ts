import t from 'tap'
import { build, engines } from '../helper.js'

for (const engine of engines) {
  t.test(`${engine.name}: /health and /ready`, async (t) => {
    const app = await build(t, { env: await engine.env(t) })

    const health = await app.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200)
    t.match(health.json(), { success: true, status: 'ok', uptime_seconds: Number })

    const ready = await app.inject({ method: 'GET', url: '/ready' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { success: true, status: 'ready', database: engine.name })

    await app.db.close()
    const down = await app.inject({ method: 'GET', url: '/ready' })
    t.equal(down.statusCode, 503, 'not ready once the database is gone')
    t.same(down.json(), { success: false, message: 'Database unreachable' })
    const stillAlive = await app.inject({ method: 'GET', url: '/health' })
    t.equal(stillAlive.statusCode, 200, 'liveness does not depend on the database')
  })
}
