import t from 'tap'
import { engines } from '../../helper.js'
import { signedInApp } from './customer-app.js'

for (const engine of engines) {
  t.test(`${engine.name}: an operator's edit of a customer stays when an older file is uploaded again`, async (t) => {
    const { app, upload, get, authorization } = await signedInApp(t, await engine.env(t))
    const edit = (id: string, payload: object) => app.inject({ method: 'PATCH', url: `/api/customers/${id}`, payload, headers: { authorization } })
    const file = 'customer_id,name,phone,email,language,Amount Due,Due Date\nE1,Asha Rao,9876543210,asha@example.com,en,1200,2026-12-05\n'
    t.equal((await upload(file)).statusCode, 200)

    const edited = await edit('E1', { name: 'Asha R. Iyer', phone: '98765 43219', language: 'hi', email: null, attributes: { 'Amount Due': '900', 'Due Date': null } })
    t.equal(edited.statusCode, 200)
    t.match(edited.json().customer, {
      name: 'Asha R. Iyer',
      phone: '+919876543219',
      language: 'hi',
      email: null,
      attributes: { 'Amount Due': '900' },
      edited_fields: ['attributes.Amount Due', 'attributes.Due Date', 'email', 'language', 'name', 'phone']
    })
    t.notOk('Due Date' in edited.json().customer.attributes, 'an attribute set to null is removed')

    // The same (older) file again: what was edited stays; what was not is updated.
    t.equal((await upload(file.replace('1200', '1300') + 'E2,Ravi,9876543211,,,5,\n')).statusCode, 200)
    const after = (await get('/api/customers/E1')).json().customer
    t.match(after, { name: 'Asha R. Iyer', phone: '+919876543219', language: 'hi', email: null, attributes: { 'Amount Due': '900' } },
      'every edited field as the operator left it')
    t.notOk('Due Date' in after.attributes, 'a column the operator removed stays removed')
    t.match((await get('/api/customers/E2')).json().customer, { name: 'Ravi', edited_fields: [] })
    t.match((await edit('E2', { email: 'ravi@example.com' })).json().customer, { name: 'Ravi', email: 'ravi@example.com', edited_fields: ['email'] })

    const refusals: Array<[object, number, string]> = [
      [{ phone: '12' }, 400, 'body.phone: phone is not a valid number'],
      [{ email: 'not an address' }, 400, 'body.email is not a valid address'],
      [{}, 400, 'body must NOT have fewer than 1 properties'],
      [{ nmae: 'x' }, 400, "body has no property 'nmae'"]
    ]
    for (const [payload, status, message] of refusals) {
      const refused = await edit('E1', payload)
      t.same({ status: refused.statusCode, body: refused.json() }, { status, body: { success: false, message } }, message)
    }
    t.same((await edit('NOPE', { name: 'x' })).json(), { success: false, message: 'Customer not found' })
    t.match((await get('/api/customers/E1')).json().customer, { name: 'Asha R. Iyer', phone: '+919876543219' }, 'nothing refused was written')
  })
}
