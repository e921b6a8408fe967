import t from 'tap'
import { archiveAssistant, assistantVersions, createAssistant, getAssistant, listAssistants, reviseAssistant } from '../../../lib/assistant/store.js'
import { engines, migratedDatabase } from '../../helper.js'

const greeting = { language: 'en', greeting: 'Hello {{name}}' }

for (const engine of engines) {
  t.test(`${engine.name}: every change is a new version; the old ones stay as they were; archiving hides, never deletes`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const created = await createAssistant(db, { name: 'Payment reminder', kind: 'scripted', config: greeting, createdBy: 'sub-1' })
    t.match(created, { name: 'Payment reminder', kind: 'scripted', version: 1, config: greeting, created_by: 'sub-1', archived_at: null })

    const revised = await reviseAssistant(db, created.id, { name: 'Payment reminder (Hindi)', config: { language: 'hi' }, createdBy: 'sub-2' })
    t.match(revised, { id: created.id, name: 'Payment reminder (Hindi)', version: 2, config: { language: 'hi' }, created_by: 'sub-1' })
    t.match(await assistantVersions(db, created.id), [
      { version: 2, name: 'Payment reminder (Hindi)', config: { language: 'hi' }, created_by: 'sub-2' },
      { version: 1, name: 'Payment reminder', config: greeting, created_by: 'sub-1' }
    ], 'newest first, each as it was saved')

    const other = await createAssistant(db, { name: 'Survey', kind: 'openai', config: { instructions: 'Ask' }, createdBy: 'sub-1' })
    t.same((await listAssistants(db, { limit: 10, offset: 0 })).map((a) => a.name), ['Survey', 'Payment reminder (Hindi)'])
    t.same((await listAssistants(db, { limit: 1, offset: 1 })).map((a) => a.name), ['Payment reminder (Hindi)'], 'in pages')

    t.equal(await archiveAssistant(db, other.id), true)
    t.equal(await archiveAssistant(db, other.id), false, 'once')
    t.same((await listAssistants(db, { limit: 10, offset: 0 })).map((a) => a.name), ['Payment reminder (Hindi)'])
    t.match(await getAssistant(db, other.id), { name: 'Survey', archived_at: Date }, 'still readable')
    t.equal(await reviseAssistant(db, other.id, { name: 'x', config: {}, createdBy: 'sub-1' }), undefined, 'an archived one is not changed')
    t.equal((await assistantVersions(db, other.id)).length, 1)
  })
}
