import t from 'tap'
import { build, engines, multipartFile } from '../../helper.js'
import { customerCount, signedInApp } from './customer-app.js'

for (const engine of engines) {
  t.test(`${engine.name}: an upload adds customers, and a second one updates them instead of duplicating`, async (t) => {
    const { app, upload, get, authorization } = await signedInApp(t, await engine.env(t))
    const first = await upload(
      'customer_id,name,phone,email,language,amount_due,due_date\n' +
      'C1,Asha Rao,98765 43210,asha@example.com,hi,1200,2026-12-01\n' +
      'C2,Ravi Kumar,+91 91234 56789,,en,300,2026-12-05\n' +
      ',Meena Iyer,09123 400 500,,,50,\n'
    )
    t.equal(first.statusCode, 200)
    t.match(first.json(), {
      success: true,
      message: 'Imported 3 of 3 customer rows',
      upload_id: /^[0-9a-f-]{36}$/,
      total: 3,
      inserted: 3,
      updated: 0,
      rejected: 0,
      rejected_rows: [],
      rejected_rows_not_shown: 0
    })
    const asha = (await get('/api/customers/C1')).json().customer
    t.same(asha, {
      id: 'C1',
      name: 'Asha Rao',
      phone: '+919876543210',
      email: 'asha@example.com',
      language: 'hi',
      attributes: { amount_due: '1200', due_date: '2026-12-01' },
      last_call_status: null,
      last_call_at: null,
      upload_id: first.json().upload_id,
      edited_fields: [],
      created_at: asha.created_at,
      updated_at: asha.updated_at
    }, 'every documented field, and only those')
    t.ok(!Number.isNaN(Date.parse(asha.created_at)))

    const second = await upload(
      'id,name,phone,amount_due\n' +
      'C1,Asha R.,98765 43210,0\n' + // the same id: updated
      ',Meena I.,+919123400500,75\n' + // no id, a known phone: updated
      'C3,New Person,9000000001,10\n' +
      'C3,New Person,9000000001,20\n' // the same new customer twice: the later row wins
    )
    t.match(second.json(), { total: 4, inserted: 1, updated: 3, rejected: 0 })
    t.equal(await customerCount(app), 4)
    const updated = (await get('/api/customers/C1')).json().customer
    t.equal(updated.name, 'Asha R.')
    t.equal(updated.email, 'asha@example.com', 'a column the new file lacks keeps its value')
    t.same(updated.attributes, { amount_due: '0', due_date: '2026-12-01' }, 'attributes are merged, newest first')
    t.equal((await get('/api/customers/C3')).json().customer.attributes.amount_due, '20')
    const meena = (await get('/api/customers?search=Meena')).json()
    t.equal(meena.total, 1)
    t.match(meena.customers[0], { id: /^cus_[0-9a-f]{16}$/, name: 'Meena I.', phone: '+919123400500' })

    const idsOf = async (query: string) => (await get(`/api/customers?${query}`)).json().customers.map((c: { id: string }) => c.id)
    t.same(await idsOf(`upload_id=${first.json().upload_id}`), ['C2'], 'the first upload last wrote only C2')
    t.same(await idsOf(`upload_id=${second.json().upload_id}`), ['C1', meena.customers[0].id, 'C3'], 'the second wrote the rest')
    t.same(await idsOf(`upload_id=${second.json().upload_id}&search=Asha`), ['C1'], 'with the other filters')
    const dry = await app.inject({
      method: 'POST',
      url: '/api/trigger-bulk-calls',
      payload: { filter: { upload_id: first.json().upload_id }, dry_run: true },
      headers: { authorization }
    })
    t.match(dry.json(), { would_dial: 1, calls: [{ customer_id: 'C2', action: 'dial' }] }, 'a campaign selects by upload too')
    t.same((await get('/api/customers?upload_id=not-a-uuid')).json(), { success: false, message: 'query.upload_id must match format "uuid"' })
  })

  t.test(`${engine.name}: a failure midway through a file leaves nothing written`, async (t) => {
    const { app, upload, get } = await signedInApp(t, { ...await engine.env(t), UPLOAD_MAX_ROWS: '2500' })
    // More rows than one write batch (2000), so that some were already written when the limit is crossed.
    const rows = Array.from({ length: 2600 }, (_, i) => `K${i},Person ${i},${9000000000 + i}`).join('\n')
    const response = await upload(`customer_id,name,phone\n${rows}\n`)
    t.equal(response.statusCode, 413)
    t.same(response.json(), { success: false, message: 'The file has more than 2500 rows; split it into smaller files' })
    t.equal(await customerCount(app), 0, 'no customer from the failed file was kept')
    const uploads = (await get('/api/uploads')).json()
    t.match(uploads.uploads[0], { status: 'failed', error: /more than 2500 rows/, inserted: 0 })

    await app.db.exec("ALTER TABLE customer ADD CONSTRAINT test_no_boom CHECK (name <> 'Boom')")
    const broken = await upload(`customer_id,name,phone\nFIRST,Boom,9999999999\n${rows.split('\n').slice(0, 2100).join('\n')}\n`)
    t.equal(broken.statusCode, 500, 'a database failure on the first batch, while the next is read')
    t.same(broken.json(), { success: false, message: 'Internal Server Error' })
    t.equal(await customerCount(app), 0, 'writes nothing')
    t.match((await get('/api/uploads')).json().uploads[0], { status: 'failed', error: 'The import failed' })
    await app.db.exec('ALTER TABLE customer DROP CONSTRAINT test_no_boom')

    const fits = await upload(`customer_id,name,phone\n${rows.split('\n').slice(0, 2500).join('\n')}\n`)
    t.match(fits.json(), { total: 2500, inserted: 2500 }, 'a file at the limit imports whole')
  })
}

t.test('the customer list: pages by offset and by cursor, search, status filter, one customer, delete', async (t) => {
  const { app, upload, get, authorization } = await signedInApp(t)
  const rows = Array.from({ length: 7 }, (_, i) => `P${i},Page Person ${i},${9100000000 + i}`)
  await upload(`customer_id,name,phone\n${rows.join('\n')}\nOTHER,Someone Else,9100000099\n`)

  const first = (await get('/api/customers?limit=3&search=page%20person')).json()
  t.match(first, { success: true, total: 7, limit: 3, offset: 0 })
  t.same(first.customers.map((c: { id: string }) => c.id), ['P0', 'P1', 'P2'], 'in upload order')
  const last = (await get('/api/customers?limit=3&offset=6&search=Page')).json()
  t.same(last.customers.map((c: { id: string }) => c.id), ['P6'])
  t.equal(last.next_cursor, null, 'no cursor after the last page')
  t.same((await get('/api/customers?limit=3&offset=7&search=Page')).json().customers, [], 'past the end: empty')

  const seen: string[] = []
  let cursor: string | null = null
  do {
    const page: { total: number, customers: Array<{ id: string }>, next_cursor: string | null } = (await get(`/api/customers?limit=3&search=Page${cursor ? `&cursor=${cursor}` : ''}`)).json()
    t.equal(page.total, 7)
    seen.push(...page.customers.map((c) => c.id))
    cursor = page.next_cursor
  } while (cursor)
  t.same(seen, rows.map((row) => row.split(',')[0]), 'following cursors visits each customer once')
  const firstPage = (await get('/api/customers?limit=4')).json()
  const secondPage = (await get(`/api/customers?limit=4&cursor=${firstPage.next_cursor as string}`)).json()
  t.same(secondPage.customers.map((c: { id: string }) => c.id), ['P4', 'P5', 'P6', 'OTHER'], 'a cursor without filters')
  const exact = (await get('/api/customers?limit=8')).json()
  t.equal(exact.customers.length, 8)
  t.equal(exact.next_cursor, null, 'a page that ends exactly at the last customer has no cursor')

  t.same((await get('/api/customers?search=9100000003')).json().customers.map((c: { id: string }) => c.id), ['P3'],
    'search by phone digits')
  t.same((await get('/api/customers?search=%2B91%2091000%2000004')).json().customers.map((c: { id: string }) => c.id),
    ['P4'], 'in any format')
  t.same((await get('/api/customers?search=other')).json().customers.map((c: { id: string }) => c.id), ['OTHER'],
    'search by customer id')
  t.equal((await get('/api/customers?search=Pa%25son')).json().total, 0, 'LIKE wildcards are literal')

  await app.db.query("UPDATE customer SET last_call_status = 'completed', last_call_at = now() WHERE id = 'P2'")
  const completed = (await get('/api/customers?status=completed')).json()
  t.same(completed.customers.map((c: { id: string }) => c.id), ['P2'])
  t.match(completed.customers[0], { last_call_status: 'completed', last_call_at: String })
  t.equal((await get('/api/customers?status=none')).json().total, 7, 'none: never called')

  for (const query of ['limit=0', 'limit=501', 'offset=-1', 'status=unknown', 'cursor=bm9wZQ']) {
    const response = await get(`/api/customers?${query}`)
    t.equal(response.statusCode, 400, query)
    t.equal(response.json().success, false, query)
  }

  t.equal((await get('/api/customers/P1')).json().customer.name, 'Page Person 1')
  const missing = await get('/api/customers/NOPE')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { success: false, message: 'Customer not found' })
  const remove = (id: string) => app.inject({ method: 'DELETE', url: `/api/customers/${id}`, headers: { authorization } })
  t.same((await remove('P1')).json(), { success: true, message: 'Customer deleted: their number, name and what was said is erased from 0 calls' })
  t.equal((await remove('P1')).statusCode, 404)
  t.equal((await get('/api/customers/P1')).statusCode, 404)
})

t.test('every customer route needs a token', async (t) => {
  const app = await build(t)
  const requests = [
    { method: 'POST' as const, url: '/api/upload-customers', ...multipartFile('phone\n9000000001\n') },
    { method: 'GET' as const, url: '/api/customers' },
    { method: 'GET' as const, url: '/api/customers/C1' },
    { method: 'DELETE' as const, url: '/api/customers/C1' },
    { method: 'GET' as const, url: '/api/uploads' }
  ]
  for (const request of requests) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 401, `${request.method} ${request.url}`)
    t.same(response.json(), { success: false, message: 'Missing bearer token' })
  }
  t.equal(await customerCount(app), 0)
})
