import t from 'tap'
import { build, capturingLogger, multipartFile, PASSWORD, testUsers } from '../helper.js'
import { accessibilityProblems, noBrowser, openPage, waitUntil } from './browser.js'

/**
 * The original simple dashboard in headless Chromium (Debian's package; .ci/run installs it): log in, the
 * customer list, a call button per customer, the bulk-call button, log out. Screenshots of each step go to
 * test-output/screenshots.
 */
t.test('the original dashboard: log in, see customers, call one, call everyone, log out', { skip: noBrowser }, async (t) => {
  const { lines, logger } = capturingLogger()
  const app = await build(t, {
    logger,
    env: { EXOTEL_SIMULATOR_RING_MS: '20', EXOTEL_SIMULATOR_REALTIME: 'false', MEDIA_SEND_AHEAD_MS: '60000', ASSISTANT_REPLY_TIMEOUT_MS: '200' }
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const user = await testUsers(app, lines).signedIn()
  const { payload, headers } = multipartFile('customer_id,name,phone\nO1,Asha Rao,9000000000\nO2,Ravi Busy,9000000001\nO3,Meena Later,9000000005\n')
  await app.inject({ method: 'POST', url: '/api/upload-customers', payload, headers: { ...headers, authorization: `Bearer ${user.access_token as string}` } })

  const { page, outside, errors, shot } = await openPage(t, base, 'original', { width: 390, height: 844 }) // a phone-sized screen

  await page.goto(`${base}/original`)
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Password', { exact: true }).fill('wrong password')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('#message.error').waitFor()
  t.match(await page.locator('#message').textContent(), /Invalid email or password/)
  t.same(await accessibilityProblems(page), [], 'axe: 1-login-refused')
  await shot('1-login-refused')

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByLabel('Password', { exact: true }).press('Enter') // the keyboard works as well as the mouse
  await page.getByRole('heading', { name: /Customers/ }).waitFor()
  await page.getByRole('button', { name: 'Call Asha Rao' }).waitFor()
  t.notOk(await page.getByRole('button', { name: 'Log in' }).isVisible(), 'the login form is gone')
  t.equal(await page.locator('#rows tr').count(), 3)
  t.match(await page.locator('#total').textContent(), '(3)')
  await shot('2-customers')

  await page.getByRole('button', { name: 'Call Asha Rao' }).click()
  await page.getByText('Asha Rao: Call initiated').waitFor()
  await page.getByRole('button', { name: 'Call Asha Rao' }).click()
  await page.getByText('Asha Rao: This customer already has a call queued or in progress').waitFor()
  await shot('3-call')

  await page.getByRole('button', { name: 'Call everyone' }).click()
  await page.getByText('Call 2 customers? 1 is skipped.').waitFor()
  t.equal(await app.db.query('SELECT 1 FROM call').then((result) => result.rowCount), 1, 'nobody more dialled before the count is confirmed')
  t.same(await accessibilityProblems(page), [], 'axe: 4-confirm')
  await page.getByRole('button', { name: 'Yes, call 2 customers' }).click()
  await page.getByText(/^Queued/).waitFor()
  t.match(await page.locator('#message').textContent(), /^Queued 2 calls/, 'Asha, with a call going on, was skipped')
  await shot('4-bulk')

  // The list shows each customer's last call as it ends, by itself; nothing is wider than the phone.
  await waitUntil(page, `(() => {
    const statuses = [...document.querySelectorAll('#rows tr td:nth-child(4)')].map((cell) => cell.textContent)
    return statuses.includes('completed') && statuses.includes('busy')
  })()`, 60_000)
  t.match(await page.locator('#updated').textContent(), /^Updated /)
  t.same(await page.evaluate('[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5).map((e) => e.tagName + "#" + e.id)'), [], 'nothing wider than the phone: every Call button in view')
  t.same(await accessibilityProblems(page), [], 'axe: 5-finished')
  await shot('5-finished')

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('button', { name: 'Log in' }).waitFor()
  t.equal(await page.evaluate('localStorage.getItem("access_token")'), null)
  t.equal(await page.getByLabel('Email').inputValue(), '', 'the email is not left filled in')
  t.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'nor the password')
  t.same(outside, [], 'nothing loaded from outside this server')
  t.same(errors, [], 'no script errors')
  t.equal((await page.goto(`${base}/`))!.status(), 200, '/ serves a dashboard too')
})
