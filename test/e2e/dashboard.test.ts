import t from 'tap'
import { build, capturingLogger, PASSWORD, testUsers } from '../helper.js'
import { accessibilityProblems, noBrowser, openPage } from './browser.js'

/**
 * The operator dashboard in headless Chromium (Debian's package; .ci/run installs it), on the embedded defaults:
 * sign up, confirm with the code the local Cognito logged, log in, upload a CSV, start a bulk call on the
 * simulator, see every call reach its final status on the live board, open one call's page, log out.
 * A screenshot of each step goes to test-output/screenshots.
 */
t.test('a new operator signs up, uploads customers, runs a campaign and reads a call', { skip: noBrowser }, async (t) => {
  const { lines, logger } = capturingLogger()
  const app = await build(t, {
    logger,
    env: {
      EXOTEL_SIMULATOR_RING_MS: '200',
      EXOTEL_SIMULATOR_REALTIME: 'false',
      MEDIA_SEND_AHEAD_MS: '60000',
      CALLS_PER_MINUTE: '200',
      CALL_RETRIES: '0'
    }
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const users = testUsers(app, lines)
  const email = users.newEmail()

  const { page, outside, errors, shot } = await openPage(t, base, 'dashboard', { width: 1100, height: 900 })
  const message = page.locator('#message')

  // Sign up, confirm, log in.
  await page.goto(base)
  await page.getByRole('button', { name: 'Sign up' }).click()
  const signup = page.locator('#signup')
  await signup.getByLabel('Email').fill(email)
  await signup.getByLabel('Password').fill(PASSWORD)
  await signup.getByLabel('First name').fill('Olivia')
  await signup.getByRole('button', { name: 'Sign up' }).click()
  await page.getByText('Account created').waitFor()
  t.same(await accessibilityProblems(page), [], 'axe: 1-signed-up')
  await shot('1-signed-up')
  const confirm = page.locator('#confirm')
  t.equal(await confirm.getByLabel('Email').inputValue(), email, 'the email is carried over')
  await confirm.getByLabel('Code').fill('000000')
  await confirm.getByRole('button', { name: 'Confirm' }).click()
  await page.locator('#message.error').waitFor()
  await confirm.getByLabel('Code').fill(await users.codeFor(email))
  await confirm.getByRole('button', { name: 'Confirm' }).click()
  await page.getByText('Email confirmed').waitFor()
  const login = page.locator('#login')
  await login.getByLabel('Password').fill(PASSWORD)
  await login.getByLabel('Password').press('Enter')
  await page.getByText(email).waitFor()
  await page.getByText('● live').waitFor()
  await shot('2-logged-in')

  // Upload a file with one bad row.
  await page.locator('#upload input[type=file]').setInputFiles({
    name: 'customers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('customer_id,name,phone,amount_due\nD1,Asha Rao,9000000000,1200\nD2,Ravi Busy,9000000001,300\nD3,Meena Later,9000000005,50\nD4,Bad Number,12,10\n')
  })
  await page.getByRole('button', { name: 'Upload' }).click()
  await page.getByText(/3 new, 0 updated, 1 rejected/).waitFor()
  t.match(await page.locator('#upload-report').textContent(), /Row 5: phone is not a valid number$/, 'the rejected row, numbered as a spreadsheet does')
  t.equal(await page.locator('#upload-progress').getAttribute('value'), '100')
  await page.locator('#customer-rows tr').nth(2).waitFor()
  t.equal(await page.locator('#customer-rows tr').count(), 3)
  await shot('3-uploaded')

  // Search narrows the list; then select every customer on the page and call them.
  await page.getByLabel('Search').fill('Ravi')
  await page.waitForFunction("document.querySelectorAll('#customer-rows tr').length === 1")
  await page.getByLabel('Search').fill('')
  await page.waitForFunction("document.querySelectorAll('#customer-rows tr').length === 3")
  await page.getByLabel('Select every customer on this page').check()
  await page.getByRole('button', { name: 'Call selected (3)' }).click()
  await page.getByText('Queued 3 calls').waitFor()
  await shot('4-campaign-started')

  // The live board: every call reaches its final status as the events arrive.
  await page.waitForFunction(`(() => {
    const statuses = [...document.querySelectorAll('#call-rows tr td:nth-child(2)')].map((cell) => cell.textContent)
    return statuses.length === 3 && statuses.every((status) => ['completed', 'busy', 'no-answer', 'failed'].includes(status))
  })()`, undefined, { timeout: 60_000 })
  const board = await page.locator('#call-rows').textContent()
  t.match(board, /Asha Rao.*completed/s)
  t.match(board, /Ravi Busy.*busy/s)
  await page.waitForFunction("document.querySelectorAll('#call-rows [data-outcome] .status').length === 2")
  t.match(await page.locator('#call-rows').textContent(), /confirmed/, 'outcomes arrive live too')
  await page.waitForFunction("document.querySelector('#batches progress')?.getAttribute('value') === '3'")
  t.match(await page.locator('#batches').textContent(), /3 of 3 finished/)
  t.same(await accessibilityProblems(page), [], 'axe: 5-campaign-finished')
  await shot('5-campaign-finished')

  // Do not call: numbers typed in, then a file; one taken off again.
  const suppress = page.locator('#suppress')
  await suppress.getByLabel('Numbers').fill('9000000997, +91 90000 00998')
  await suppress.getByLabel('Reason').fill('asked not to be called')
  await suppress.getByRole('button', { name: 'Add' }).click()
  await page.getByText('Added 2 numbers to the suppression list').waitFor()
  await page.locator('#suppress-file input[type=file]').setInputFiles({
    name: 'dnc.csv', mimeType: 'text/csv', buffer: Buffer.from('phone\n9000000999\n9000000998\nnope\n')
  })
  await page.getByRole('button', { name: "Add the file's numbers" }).click()
  await page.getByText('Added 1 numbers to the suppression list (1 rows without a valid number)').waitFor()
  await page.waitForFunction("document.querySelectorAll('#suppressions li').length === 3")
  t.match(await page.locator('#suppressions').textContent(), /\+919000000998 \(asked not to be called\)/)
  await page.getByRole('button', { name: 'Remove +919000000997 from the do-not-call list' }).click()
  await page.getByText('Number taken off the suppression list').waitFor()
  await page.waitForFunction("document.querySelectorAll('#suppressions li').length === 2")
  t.equal(await page.locator('#suppression-total').textContent(), '(2)')
  await shot('6-do-not-call')

  // One call's page: timeline, keys, transcript, outcome.
  await page.getByRole('link', { name: 'Asha Rao' }).click()
  await page.getByRole('heading', { name: 'Call to Asha Rao' }).waitFor()
  await page.getByText('Keys pressed').waitFor()
  const conversation = await page.locator('#conversation-facts').textContent()
  t.match(conversation, /Outcomeconfirmed/)
  t.match(conversation, /Keys pressed1/)
  t.match(await page.locator('#transcript').textContent(), /Assistant: Hello.*Caller: \(pressed 1\).*Assistant: Thank you/s)
  t.match(await page.locator('#timeline').textContent(), /queued.*initiated.*in-progress.*completed/s)
  t.same(await accessibilityProblems(page), [], 'axe: 7-call-page')
  await shot('7-call-page')

  // Back, on a phone-sized screen: nothing is wider than the screen but the tables, which scroll.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.getByRole('link', { name: '← Back' }).click()
  await page.getByRole('heading', { name: /Customers/ }).waitFor()
  t.same(await page.evaluate('[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll")).map((e) => e.tagName + "#" + e.id + "." + e.className)'), [], 'no sideways scrolling')
  t.same(await accessibilityProblems(page), [], 'axe: 8-phone')
  await shot('8-phone')
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor()
  t.match(await message.textContent(), 'Logged out')
  t.same(outside, [], 'nothing loaded from outside this server')
  t.same(errors, [], 'no script errors')
})
