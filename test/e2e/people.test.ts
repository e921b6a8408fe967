import t from 'tap'
import { appWithCustomers, PASSWORD, testUsers } from '../helper.js'
import { accessibilityProblems, noBrowser, openPage } from './browser.js'

const noSideways = '[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll")).map((e) => e.tagName + "#" + e.id + "." + e.className)'

/**
 * Team access in headless Chromium: an administrator invites a person from the People screen; the person's first
 * sign-in asks for a password of their own; as a viewer they are offered no upload and see numbers masked; the
 * administrator makes them an operator and, after their next request, they may act; the Audit screen shows it all.
 * At desktop and phone sizes, with axe-core.
 */
t.test('an administrator invites a viewer, makes them an operator, and reads the audit trail', { skip: noBrowser }, async (t) => {
  const { app, lines } = await appWithCustomers(t, {}, 'customer_id,name,phone\nA1,Asha Rao,9000000105\n')
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const users = testUsers(app, lines)
  const admin = await users.withRole('admin')
  const { page, outside, errors, shot } = await openPage(t, base, 'people', { width: 1100, height: 900 })
  const logIn = async (email: string, password: string) => {
    await page.goto(base)
    await page.locator('#login').getByLabel('Email').fill(email)
    await page.locator('#login').getByLabel('Password', { exact: true }).fill(password)
    await page.locator('#login').getByRole('button', { name: 'Log in' }).click()
  }
  await logIn(admin.email, PASSWORD)
  await page.getByText(`${admin.email as string} (admin)`).waitFor()
  await page.getByRole('link', { name: 'People' }).click()
  await page.locator(`tr[data-person="${admin.email as string}"]`).waitFor()
  t.equal(await page.getByLabel(`Role of ${admin.email as string}`).isDisabled(), true, 'an administrator cannot change their own role')

  const person = users.newEmail()
  const invite = page.locator('#invite')
  await invite.getByLabel('Email').fill(person)
  await invite.getByLabel('Role').selectOption('viewer')
  await invite.getByRole('button', { name: 'Invite' }).click()
  await page.getByText(`Invited ${person} as viewer`).waitFor()
  t.match((await page.locator('#message, .note').allTextContents()).join(' '), /temporary password is in the server's log/)
  t.match(await page.locator(`tr[data-person="${person}"]`).textContent(), /invited, not signed in yet/)
  t.same(await accessibilityProblems(page), [], 'axe: the People screen')
  await shot('1-people')

  // The person signs in with the temporary password the log shows, and is asked for their own.
  const temporary = JSON.parse(lines.find((line) => line.includes('temporary password') && line.includes(person))!).code
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor() // the logout has ended: the token is gone before the next sign-in
  await logIn(person, temporary)
  await page.getByText('choose one of your own').waitFor()
  await page.locator('#login').getByLabel('New password').fill('My-own-passw0rd!')
  await page.locator('#login').getByRole('button', { name: 'Log in' }).click()
  await page.getByText(`${person} (viewer)`).waitFor()
  t.equal(await page.getByRole('link', { name: 'People' }).isVisible(), false, 'no People screen for a viewer')
  await page.getByRole('link', { name: 'Customers', exact: true }).click()
  await page.locator('#customer-rows tr').first().waitFor()
  t.equal(await page.locator('#upload').isVisible(), false, 'a viewer is offered no upload')
  await page.locator('#customer-rows a').first().click()
  await page.locator('#customer-facts dd').first().waitFor()
  t.match(await page.locator('#customer-page').textContent(), /••••0105/, 'numbers masked to their last four digits')
  t.notMatch(await page.locator('#customer-page').textContent(), /9000000105/)
  t.same(await accessibilityProblems(page), [], 'axe: a viewer\'s customer page')
  await shot('2-viewer')

  // The administrator makes them an operator: their next request carries the new role.
  const asAdmin = { authorization: admin.authorization }
  const username = (await app.cognitoUsers.get(person)).username
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await app.inject({ method: 'PATCH', url: `/api/users/${username}`, payload: { role: 'operator' }, headers: asAdmin })
  await page.reload()
  await page.getByText(`${person} (operator)`).waitFor()
  await page.getByRole('link', { name: 'Customers', exact: true }).click()
  await page.locator('#upload').waitFor()
  t.ok(await page.locator('#upload').isVisible(), 'an operator is offered the upload')

  // The audit trail, as the administrator sees it.
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor() // the logout has ended: the token is gone before the next sign-in
  await logIn(admin.email, PASSWORD)
  await page.getByRole('link', { name: 'Audit' }).click()
  await page.locator('#audit-rows tr').nth(3).waitFor()
  const trail = await page.locator('#audit-rows').textContent()
  t.match(trail, new RegExp(`user.changed ${person.replace(/\./g, '\\.')}: now operator`))
  t.match(trail, new RegExp(`user.invited Invited ${person.replace(/\./g, '\\.')} as viewer`))
  t.match(trail, /customers.uploaded Uploaded customers.csv/)
  await page.locator('#audit-filter').getByLabel('What').selectOption('customers.uploaded')
  await page.locator('#audit-filter').getByRole('button', { name: 'Show' }).click()
  await page.locator('#audit-rows tr').first().filter({ hasText: 'customers.uploaded' }).waitFor()
  t.equal(await page.locator('#audit-rows tr').count(), 1, 'one kind of action')
  t.same(await accessibilityProblems(page), [], 'axe: the Audit screen')
  await shot('3-audit')

  await page.setViewportSize({ width: 390, height: 844 })
  for (const hash of ['#/audit', '#/people']) {
    await page.goto(`${base}/${hash}`)
    await page.locator(hash === '#/audit' ? '#audit-rows tr' : '#people-rows tr').first().waitFor()
    t.same(await page.evaluate(noSideways), [], `${hash}: no sideways scrolling on a phone`)
    t.same(await accessibilityProblems(page), [], `axe: ${hash} on a phone`)
    await shot(`4-phone-${hash.slice(2)}`)
  }
  t.same(outside, [], 'nothing fetched from anywhere else')
  t.same(errors, [], 'no script error, no policy violation')
})
