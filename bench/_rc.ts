import { openDatabase } from '../lib/db/database.js'
import { loadMigrations, migrate } from '../lib/db/migrate.js'
import { recordConversation, startConversation } from '../lib/calls/conversation.js'
const db = await openDatabase(process.env.URL ? { url: process.env.URL, dataDir: '' } : { dataDir: 'memory://' })
await migrate(db, await loadMigrations('migrations'))
const ids: string[] = []
for (let i = 0; i < 100; i++) {
  const { rows } = await db.query<{ id: string }>("INSERT INTO call (customer_id, customer_name, phone, status, triggered_by) VALUES ('c' || $1, 'n', '+919800000000', 'in-progress', 'u') RETURNING id", [i])
  ids.push(rows[0]!.id); await startConversation(db, rows[0]!.id, 'scripted', 's' + i)
}
for (let round = 0; round < 3; round++) {
  let t = performance.now()
  for (let k = 0; k < 10; k++) for (const id of ids) await recordConversation(db, id, { line: { speaker: 'caller', text: 'hello there how are you' } })
  console.log('recordConversation x1000', (performance.now() - t).toFixed(0))
  t = performance.now()
  for (let k = 0; k < 10; k++) for (const id of ids) await db.query("UPDATE call_conversation SET transcript = transcript || $2::jsonb WHERE call_id = $1", [id, JSON.stringify([{ speaker: 'caller', text: 'hello', at: new Date().toISOString() }])])
  console.log('plain update x1000', (performance.now() - t).toFixed(0))
  t = performance.now()
  for (let k = 0; k < 10; k++) for (const id of ids) await db.query("SELECT 1")
  console.log('select 1 x1000', (performance.now() - t).toFixed(0))
}
await db.close()
