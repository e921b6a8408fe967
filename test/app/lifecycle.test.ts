import { chmod, mkdir, mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import app from '../../app.js'
import { pgliteTemplate } from '../databases.js'
import { build } from '../helper.js'

t.test('data written before a restart is there after it (PGlite on disk)', async (t) => {
  const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'vcm-data-')), 'nested', 'data')
  const first = await build(t, { env: { DATA_DIR: dataDir } })
  await first.db.exec("CREATE TABLE kept (note text); INSERT INTO kept VALUES ('written before the restart')")
  await first.close()

  const second = await build(t, { env: { DATA_DIR: dataDir } })
  const { rows } = await second.db.query<{ note: string }>('SELECT note FROM kept')
  t.same(rows, [{ note: 'written before the restart' }])
  const migrations = await second.db.query('SELECT * FROM schema_migrations')
  t.ok(migrations.rowCount >= 0, 'the migration bookkeeping survived too')
})

t.test('the data folder is for the server\'s user only, even one made before with wider permissions', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'vcm-perm-'))
  const dataDir = path.join(root, 'data')
  await mkdir(dataDir, { mode: 0o777 })
  await chmod(dataDir, 0o777)
  const app = await build(t, { env: { DATA_DIR: dataDir } })
  await app.close()
  t.equal((await stat(dataDir)).mode & 0o777, 0o700, 'the database folder (PGlite writes its files world-writable inside)')
  t.equal((await stat(path.join(dataDir, 'cognito'))).mode & 0o777, 0o700, "the emulator's folder, with its users")
})

t.test('closing lets in-flight requests finish, then closes the database', async (t) => {
  const server = Fastify({ pluginTimeout: 0 })
  server.register(fp(app), { env: { DATA_DIR: 'memory://' }, startFrom: await pgliteTemplate() })
  let arrived: () => void
  const reached = new Promise<void>((resolve) => { arrived = resolve })
  server.register(async (routes) => {
    routes.get('/slow', async () => {
      arrived()
      await sleep(300)
      const { rows } = await server.db.query<{ answer: number }>('SELECT 42 AS answer')
      return rows[0]
    })
  })
  await server.listen({ host: '127.0.0.1', port: 0 })
  const { port } = server.server.address() as { port: number }

  const inFlight = fetch(`http://127.0.0.1:${port}/slow`)
  await reached // under load the request may take a while to arrive: the close begins once it is running
  const closing = server.close()
  const response = await inFlight
  t.equal(response.status, 200, 'the request that was running when the close began completes')
  t.same(await response.json(), { answer: 42 }, 'and could still use the database')
  t.equal(response.headers.get('connection'), 'close', 'and ends its connection: the close waits for no keep-alive timeout')
  await closing
  await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'no new connection is accepted')
  await t.rejects(server.db.query('SELECT 1'), 'the database is closed last')
})
