import t from 'tap'
import { allows, maskPhones, programRole } from '../../../lib/auth/roles.js'

t.test('a role allows what it or a lesser role may do, and nothing where a route names no role', async (t) => {
  t.ok(allows('admin', 'viewer'))
  t.ok(allows('operator', 'operator'))
  t.notOk(allows('viewer', 'operator'))
  t.notOk(allows(undefined, 'viewer'), 'no role: nothing')
  t.notOk(allows('admin', undefined), 'a route that forgot its role is open to nobody')
})

t.test('a program\'s scopes on the resource server grant the highest role they name', async (t) => {
  t.equal(programRole('vcm/read vcm/write', 'vcm'), 'operator')
  t.equal(programRole('other/admin', 'vcm'), undefined)
  t.equal(programRole(undefined, 'vcm'), undefined, 'a token with no scope')
})

t.test('phone numbers are masked wherever they are; dates and other values are left alone', async (t) => {
  const at = new Date()
  t.same(maskPhones({ phone: '+919876543210', at, list: [{ phone: '9876543210', note: '+14155550100' }], n: 3, none: null }),
    { phone: '••••3210', at, list: [{ phone: '••••3210', note: '••••0100' }], n: 3, none: null })
})
