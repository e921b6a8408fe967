import { parseString } from 'fast-csv'
import t from 'tap'
import { appWithCustomers, FAST_CALLS, until } from '../../helper.js'

// 0 answers and presses 1 (confirmed), 5 presses 2 (callback), 1 is busy.
const CSV = [
  'customer_id,name,phone,loan,note',
  'E1,आशा राव,9000000100,LN-1,=HYPERLINK("http://evil.example")',
  'E2,Ravi Kumar,9000000205,LN-2,',
  'E3,Busy Person,9000000301,LN-3,@SUM(1)'
].join('\n') + '\n'

async function rowsOf (csv: string): Promise<Array<Record<string, string>>> {
  const rows: Array<Record<string, string>> = []
  await new Promise((resolve, reject) => parseString(csv, { headers: true }).on('data', (row) => rows.push(row)).on('end', resolve).on('error', reject))
  return rows
}

t.test('a campaign\'s results as CSV and .xlsx: a row a customer or a call, outcome fields and uploaded columns, no formulas', async (t) => {
  const { app, post, get, authorization } = await appWithCustomers(t, { ...FAST_CALLS, CALL_RETRIES: '0' }, CSV)
  const made = (await post('/api/campaigns', {
    name: 'Dues: December', customer_ids: ['E1', 'E2', 'E3'], rules: { retry: { on: ['busy'], retries: 0, delay_seconds: 60 }, follow_up: { delay_seconds: 60, max: 0 } }
  })).json().campaign
  const preview = (await get(`/api/campaigns/${made.id as string}/preview`)).json()
  await post(`/api/campaigns/${made.id as string}/start`, { fingerprint: preview.fingerprint })
  await until(async () => (await get(`/api/campaigns/${made.id as string}`)).json().campaign.status === 'finished', 'the campaign to finish')
  // The fields an assistant records with an outcome (the OpenAI assistant's, say), one of them hostile.
  await app.db.query(`UPDATE call_conversation SET outcome_detail = '{"promised_date": "2026-12-10", "amount": "=1+1"}'
    WHERE call_id = (SELECT id FROM call WHERE customer_id = 'E1')`)
  const download = (url: string) => app.inject({ url, headers: { authorization } })

  const customers = await download(`/api/campaigns/${made.id as string}/export`)
  t.equal(customers.statusCode, 200)
  t.equal(customers.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(customers.headers['content-disposition'], 'attachment; filename="Dues-December-customers.csv"')
  t.ok(customers.body.startsWith('\uFEFF'), 'a byte-order mark, so spreadsheets read आशा as UTF-8')
  t.equal(customers.body.split('\n')[0]!.replace('\uFEFF', ''),
    'customer_id,name,phone,final_outcome,attempts,last_status,reason,talk_seconds,last_call_at,outcome.amount,outcome.digit,outcome.promised_date,loan,note')
  const rows = await rowsOf(customers.body.replace('\uFEFF', ''))
  t.equal(rows.length, 3, 'a row a customer')
  t.match(rows[0], {
    customer_id: 'E1',
    name: 'आशा राव',
    phone: "'+919000000100",
    final_outcome: 'confirmed',
    attempts: '1',
    last_status: 'completed',
    reason: 'confirmed',
    'outcome.amount': "'=1+1",
    'outcome.promised_date': '2026-12-10',
    loan: 'LN-1',
    note: '\'=HYPERLINK("http://evil.example")'
  }, 'every cell that starts like a formula (a phone\'s + too) is neutralised')
  t.match(rows[1], { customer_id: 'E2', final_outcome: 'callback', last_status: 'completed' })
  t.match(rows[2], { customer_id: 'E3', final_outcome: '', last_status: 'busy', reason: 'busy', note: "'@SUM(1)", talk_seconds: '0' })

  const calls = await rowsOf((await download(`/api/campaigns/${made.id as string}/export?per=attempt`)).body.replace('\uFEFF', ''))
  t.equal(calls.length, 3, 'a row a call')
  t.match(calls.find((row) => row.customer_id === 'E2'), { attempt: '1', status: 'completed', outcome: 'callback', call_id: /^[0-9a-f-]{36}$/ })

  const xlsx = await download(`/api/campaigns/${made.id as string}/export?format=xlsx`)
  t.equal(xlsx.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  t.equal(xlsx.headers['content-disposition'], 'attachment; filename="Dues-December-customers.xlsx"')
  const { default: Excel } = await import('exceljs')
  const book = new Excel.Workbook()
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer)
  const sheet = book.worksheets[0]!
  t.equal(sheet.rowCount, 4, 'a header and a row a customer')
  t.same((sheet.getRow(2).values as unknown[]).slice(1, 5), ['E1', 'आशा राव', "'+919000000100", 'confirmed'])
  t.equal(sheet.getRow(2).getCell(14).value, '\'=HYPERLINK("http://evil.example")', 'a text cell, neutralised: never a formula')

  const refused = await download(`/api/campaigns/${made.id as string}/export?format=pdf`)
  t.equal(refused.statusCode, 400)
  t.equal((await download('/api/campaigns/00000000-0000-4000-8000-000000000000/export')).statusCode, 404)
})

t.test('the calls GET /api/calls lists, as a file, with its filters; read a page at a time, no row twice', async (t) => {
  const { app, get, authorization } = await appWithCustomers(t, FAST_CALLS, CSV)
  // 1,203 calls, more than two pages, several sharing a moment to the millisecond.
  await app.db.query(`INSERT INTO call (customer_id, customer_name, phone, status, triggered_by, created_at)
    SELECT 'E' || (n % 3 + 1), 'Someone', '+9190000001' || lpad((n % 100)::text, 2, '0'), CASE WHEN n % 2 = 0 THEN 'busy' ELSE 'completed' END,
      'test', timestamptz '2026-11-01 10:00:00+00' + (n / 4) * interval '1 millisecond'
    FROM generate_series(1, 1203) AS n`)
  // A call with an outcome whose fields nest, to a customer no longer uploaded.
  const { rows: [odd] } = await app.db.query<{ id: string }>(`INSERT INTO call (customer_id, phone, status, triggered_by, created_at)
    VALUES ('GONE', '+919000000999', 'completed', 'test', '2026-10-01Z') RETURNING id`)
  await app.db.query(`INSERT INTO call_conversation (call_id, assistant, stream_sid, outcome, outcome_detail)
    VALUES ($1, 'openai', 's', 'confirmed', '{"plan": {"months": 3}}')`, [odd!.id])
  const all = await rowsOf((await app.inject({ url: '/api/calls/export', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.equal(all.length, 1204, 'every call once')
  t.equal(new Set(all.map((row) => row.call_id)).size, 1204, 'none twice')
  t.match(all[0], { customer_id: 'GONE', outcome: 'confirmed', 'outcome.plan': '{"months":3}', loan: '' }, 'nested fields as JSON; no uploaded columns')
  const confirmed = await rowsOf((await app.inject({ url: '/api/calls/export?outcome=confirmed', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.same(confirmed.map((row) => row.customer_id), ['GONE'], 'outcome=confirmed')
  const nobody = (await app.inject({ url: '/api/calls/export?customer_id=NOBODY', headers: { authorization } })).body
  t.equal(nobody.replace('\uFEFF', '').trim(), 'call_id,customer_id,name,phone,attempt,status,reason,outcome,dialled_at,answered_at,ended_at,duration_seconds,follows',
    'no call: the header alone')
  const busy = await rowsOf((await app.inject({ url: '/api/calls/export?status=busy&customer_id=E1', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.equal(busy.length, (await get('/api/calls?status=busy&customer_id=E1&limit=1')).json().total, 'the same filters as GET /api/calls')
  t.ok(busy.every((row) => row.status === 'busy' && row.customer_id === 'E1'))
  const perCustomer = await rowsOf((await app.inject({ url: '/api/calls/export?per=customer', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.same(perCustomer.map((row) => [row.customer_id, row.attempts]), [['E1', '401'], ['E2', '401'], ['E3', '401'], ['GONE', '1']])
  // More customers than a page: the row-a-customer pages follow each other by customer.
  await app.db.query(`INSERT INTO call (customer_id, phone, status, triggered_by, created_at)
    SELECT 'M' || lpad(n::text, 4, '0'), '+919000000001', 'busy', 'test', '2026-11-05Z' FROM generate_series(1, 520) AS n`)
  const many = await rowsOf((await app.inject({ url: '/api/calls/export?per=customer&status=busy', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.equal(many.filter((row) => row.customer_id!.startsWith('M')).length, 520, 'every customer of two pages, once')
  const none = await rowsOf((await app.inject({ url: '/api/calls/export?outcome=none&format=csv', headers: { authorization } })).body.replace('\uFEFF', ''))
  t.equal(none.length, 1723, 'outcome=none: calls with no outcome')
})
