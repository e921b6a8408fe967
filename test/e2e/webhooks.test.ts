import t from 'tap'
import { appWithCustomers, multipartFile, PASSWORD, testUsers } from '../helper.js'
import { receiver } from '../webhook-receiver.js'
import { accessibilityProblems, noBrowser, openPage } from './browser.js'

const noSideways = '[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll")).map((e) => e.tagName + "#" + e.id + "." + e.className)'

/**
 * The Webhooks screen in headless Chromium: an administrator adds an endpoint and sees its secret once, reads its
 * delivery log and sends one again, and removes it; an endpoint switched off after failing is told to everyone
 * signed in, above every screen. At desktop and phone sizes, with axe-core.
 */
t.test('an administrator adds a webhook, reads its deliveries, and everyone is told when one is switched off', { skip: noBrowser }, async (t) => {
  const hook = await receiver(t)
  const { app, lines } = await appWithCustomers(t, {}, 'customer_id,name,phone\nA1,Asha Rao,9000000105\n')
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const users = testUsers(app, lines)
  const admin = await users.withRole('admin')
  const operator = await users.withRole('operator')
  const { page, outside, errors, shot } = await openPage(t, base, 'webhooks', { width: 1100, height: 900 })
  const logIn = async (email: string) => {
    await page.goto(base)
    await page.locator('#login').getByLabel('Email').fill(email)
    await page.locator('#login').getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.locator('#login').getByRole('button', { name: 'Log in' }).click()
    await page.getByText(`${email} (`).waitFor()
  }
  await logIn(admin.email)
  await page.getByRole('link', { name: 'Webhooks' }).click()
  await page.getByText('No webhooks yet').waitFor()
  const form = page.locator('#webhook-form')
  await form.getByLabel('URL').fill(hook.url)
  await form.getByLabel('Description').fill('CRM')
  await form.getByRole('checkbox', { name: /campaign\.finished/ }).uncheck()
  await form.getByRole('checkbox', { name: /campaign\.paused/ }).uncheck()
  await form.getByRole('button', { name: 'Add webhook' }).click()
  await page.locator('#webhook-secret code').waitFor()
  const secret = await page.locator('#webhook-secret code').textContent()
  t.match(secret, /^whsec_/, 'the secret, shown once')
  t.match(await page.locator(`li[data-webhook="${hook.url}"]`).textContent(), /Hears of: call.completed, upload.completed/)
  t.same(await accessibilityProblems(page), [], 'axe: the Webhooks screen')
  await shot('1-added')

  // An upload is delivered; its log shows it, and it can be sent again.
  const file = multipartFile('customer_id,name,phone\nA2,Ravi,9000000205\n')
  await app.inject({ method: 'POST', url: '/api/upload-customers', ...file, headers: { ...file.headers, authorization: admin.authorization } })
  for (let i = 0; i < 200 && hook.received.length < 1; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  await page.getByRole('button', { name: `Deliveries of ${hook.url}` }).click()
  const row = page.locator(`li[data-webhook="${hook.url}"] tbody tr`).first()
  await row.waitFor()
  t.match(await row.textContent(), /upload\.completed.*delivered.*1 \(last: 204, \d+ ms\)/)
  await row.getByRole('button', { name: /Send delivery .* again/ }).click()
  await page.getByText('It is sent again at the next round').waitFor()
  for (let i = 0; i < 200 && hook.received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25))
  t.equal(hook.received[1]?.headers['webhook-id'], hook.received[0]!.headers['webhook-id'], 'sent again, with its webhook-id')
  await shot('2-deliveries')

  // Switched off after failing (as a day of failures leaves it): everyone signed in is told, above every screen.
  await app.db.query("UPDATE webhook SET enabled = false, disabled_reason = 'Switched off after failing for a day: the last attempt answered 500'")
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor()
  await logIn(operator.email)
  const notice = page.locator('#notices li')
  await notice.waitFor()
  t.match(await notice.textContent(), new RegExp(`Webhooks to ${new URL(hook.url).host} are switched off: Switched off after failing for a day`))
  t.equal(await notice.getByRole('link').isVisible(), false, 'an operator is told, and not offered what only an administrator may do')
  t.same(await accessibilityProblems(page), [], 'axe: the notice')
  await shot('3-notice')

  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor()
  await logIn(admin.email)
  await notice.getByRole('link', { name: 'Deal with it' }).click()
  await page.getByRole('button', { name: `Switch on ${hook.url}` }).click()
  await page.getByText('Switched on: what waits is sent').waitFor()
  await page.goto(`${base}/#/campaigns`)
  await page.locator('#campaigns-page').waitFor()
  await page.waitForTimeout(300)
  t.equal(await page.locator('#notices').isVisible(), false, 'the notice is gone once it is switched on')

  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(`${base}/#/webhooks`)
  await page.locator(`li[data-webhook="${hook.url}"]`).waitFor()
  t.same(await page.evaluate(noSideways), [], 'no sideways scrolling on a phone')
  t.same(await accessibilityProblems(page), [], 'axe: the Webhooks screen on a phone')
  await shot('4-phone')
  await page.getByRole('button', { name: `Remove ${hook.url}` }).click()
  await page.getByRole('alertdialog').getByRole('button', { name: 'Remove' }).click()
  await page.getByText('No webhooks yet').waitFor()
  t.same(outside, [], 'nothing fetched from anywhere else')
  t.same(errors, [], 'no script error, no policy violation')
})
