import t from 'tap'
import { build, capturingLogger, engines, seededDataDir, testUsers } from '../helper.js'

for (const engine of engines) {
  t.test(`${engine.name}: an upload interrupted by a crash is failed at the next start, saying why`, async (t) => {
    const env = engine.name === 'pglite'
      ? { DATA_DIR: await seededDataDir(t) }
      : await engine.env(t)
    const first = await build(t, { env })
    // As a run killed mid-import leaves it: recorded as processing, its transaction (and rows) gone with the run.
    await first.db.query("INSERT INTO customer_upload (user_sub, file_name, format, status) VALUES ('sub', 'big.csv', 'csv', 'processing')")
    await first.close()

    const { lines, logger } = capturingLogger()
    const second = await build(t, { env, logger })
    const user = await testUsers(second, lines).signedIn()
    const uploads = await second.inject({ url: '/api/uploads', headers: { authorization: `Bearer ${user.access_token as string}` } })
    t.match(uploads.json().uploads, [{
      file_name: 'big.csv',
      status: 'failed',
      error: 'Interrupted by a restart of the server: no customer was written; upload the file again',
      finished_at: String
    }])
    t.ok(lines.some((line) => line.includes('uploads interrupted by a restart marked failed')))
  })
}

const postgres = engines.find((engine) => engine.name === 'postgres')
t.test('an upload another instance is importing is left alone', { skip: postgres ? false : 'needs PostgreSQL (PGlite has one connection)' }, async (t) => {
  const env = await postgres!.env(t)
  const app = await build(t, { env })
  const { rows: [upload] } = await app.db.query<{ id: string }>(
    "INSERT INTO customer_upload (user_sub, file_name, format, status) VALUES ('sub', 'live.csv', 'csv', 'processing') RETURNING id")
  const { failInterruptedUploads } = await import('../../lib/customers/import.js')
  await app.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727002, hashtext($1))', [upload!.id]) // as its import holds it
    t.equal(await failInterruptedUploads(app.db), 0, 'held by its import: not failed')
  })
  t.equal(await failInterruptedUploads(app.db), 1, 'once free, it is')
})
