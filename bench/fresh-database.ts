import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * A new empty database on the server named by `serverUrl`, so that a benchmark never touches data of its own
 * or anyone else's; `drop` removes it.
 */
export async function freshDatabase (serverUrl: string) {
  const name = `vcm_bench_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop () {
      const dropper = new pg.Client({ connectionString: serverUrl })
      await dropper.connect()
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    }
  }
}
