import { readFile } from 'node:fs/promises'
import t from 'tap'
import type { Page } from 'playwright-core'
import { build, capturingLogger, PASSWORD, testClock, testUsers } from '../helper.js'
import { accessibilityProblems, counted, noBrowser, openPage, waitUntil } from './browser.js'

/** Elements wider than the screen, outside the scrolling tables. */
const overflowing = (page: Page) => page.evaluate('[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > ' +
  'window.innerWidth + 0.5 && !e.closest(".scroll")).map((e) => e.tagName + "#" + e.id + "." + e.className)')

/**
 * The operator dashboard in headless Chromium (Debian's package; .ci/run installs it), on the embedded defaults:
 * sign up (the code in the server's log, as the page says), upload customers, make a campaign with an assistant,
 * read its preview, confirm it with the count, pause and resume it, watch it, see a callback followed up at its
 * time (the dispatcher's clock moved an hour on), read its results, a call, a customer (edited, then another
 * deleted), the do-not-call list; then every screen again on a phone. Each screen is checked with axe-core and
 * screenshotted to test-output/screenshots.
 */
t.test('a new operator runs a campaign through the screens, at desktop and phone sizes', { skip: noBrowser }, async (t) => {
  const { lines, logger } = capturingLogger()
  const clock = testClock()
  const app = await build(t, {
    logger,
    clock: clock.now,
    env: {
      EXOTEL_SIMULATOR_RING_MS: '200',
      EXOTEL_SIMULATOR_REALTIME: 'false',
      MEDIA_SEND_AHEAD_MS: '60000',
      CALLS_PER_MINUTE: '200',
      EXOTEL_CALLER_IDS: '+918000000001,+918000000002',
      // The clock moves an hour on: calls in flight must not look overdue to the sweeps.
      CALL_TIMEOUT_SECONDS: '86400',
      RECONCILE_AFTER_SECONDS: '86400'
    }
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const users = testUsers(app, lines)
  const email = users.newEmail()

  const { page, outside, errors, shot } = await openPage(t, base, 'dashboard', { width: 1100, height: 900 })
  const screen = async (name: string) => {
    t.same(await accessibilityProblems(page), [], `axe: ${name}`)
    t.same(await overflowing(page), [], `${name}: nothing wider than the screen`)
    await shot(name)
  }
  const nav = (name: string) => page.getByRole('navigation', { name: 'Pages and account' }).getByRole('link', { name, exact: true }).click()

  // Sign up: with no Cognito, the page says where the code is. Confirm, log in.
  await page.goto(base)
  await page.getByRole('button', { name: 'Sign up' }).click()
  const signup = page.locator('#signup')
  await signup.getByLabel('Email').fill(email)
  await signup.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await signup.getByRole('button', { name: 'Sign up' }).click()
  await page.getByText("Account created: the code is in the server's log").waitFor()
  t.ok(await page.getByText('local Cognito: confirmation code').isVisible(), 'the log line to look for')
  await screen('1-signed-up')
  const confirm = page.locator('#confirm')
  await confirm.getByLabel('Code').fill('000000')
  await confirm.getByRole('button', { name: 'Confirm' }).click()
  await page.locator('#confirm + .note.error').waitFor()
  await confirm.getByLabel('Code').fill(await users.codeFor(email))
  await confirm.getByRole('button', { name: 'Confirm' }).click()
  await page.getByText('Email confirmed').waitFor()
  await page.locator('#login').getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.locator('#login').getByLabel('Password', { exact: true }).press('Enter')
  await page.getByText(email).waitFor()
  await page.getByText('No campaigns yet').waitFor()
  await screen('2-campaigns-empty')

  // Customers: upload a file with one bad row; choose them for a campaign.
  await nav('Customers')
  await page.locator('#upload input[type=file]').setInputFiles({
    name: 'customers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('customer_id,name,phone,amount_due\nD1,Asha Rao,9000000009,1200\nD2,Ravi Busy,9000000001,300\n' +
      'D3,Meena Later,9000000005,50\nD4,Bad Number,12,10\n')
  })
  await page.getByRole('button', { name: 'Upload' }).click()
  await page.getByText(/3 new, 0 updated, 1 rejected/).waitFor()
  await page.locator('#customer-rows tr').nth(2).waitFor()
  await page.locator('#customer-filter').getByLabel('Search').fill('Ravi')
  await counted(page, '#customer-rows tr', 1)
  await page.locator('#customer-filter').getByLabel('Search').fill('')
  await counted(page, '#customer-rows tr', 3)
  await page.getByLabel('Select every customer on this page').check()
  await screen('3-customers')
  await page.getByRole('button', { name: 'New campaign with selected (3)' }).click()

  // A new campaign: its name, the customers chosen, retries none, a call back an hour on.
  await page.getByRole('heading', { name: 'New campaign' }).waitFor()
  const form = page.locator('#campaign-form')
  t.ok(await form.getByLabel('The 3 customers selected on the Customers screen').isChecked())
  await form.getByLabel('Name').fill('December dues')
  await form.getByLabel('Retries when busy or not answered').fill('0')
  await form.getByLabel('Call back after (hours), unless the customer said when').fill('1')
  await form.getByLabel('Calling hours, your time').fill('00:00-24:00')
  await form.getByLabel('+918000000002').check()
  await screen('4-new-campaign')
  await page.getByRole('button', { name: 'Save and preview' }).click()

  // The preview: who will be called, what they hear; nobody is dialled until the count is confirmed.
  await page.getByRole('heading', { name: 'December dues' }).waitFor()
  await page.getByText('It will call 3 customers and skip 0').waitFor()
  t.match(await page.locator('#campaign-facts').textContent(), /Caller numbers\s*\+918000000002/, 'its own caller number')
  t.match(await page.locator('#preview-greetings').textContent(), /Asha Rao: Hello Asha, this is an automated call/)
  t.equal((await app.db.query('SELECT 1 FROM call')).rowCount, 0, 'nobody dialled by a draft')
  await screen('5-preview')
  await page.getByRole('button', { name: 'Start: call 3 customers' }).click()
  await page.getByRole('alertdialog').getByText(/^Call 3 customers from .*\? 0 are skipped\.$/).waitFor()
  await screen('6-confirm')
  await page.getByRole('button', { name: 'Yes, call 3 customers' }).click()
  await page.locator('#campaign-actions + .note').getByText('Started: 3 customers to call').waitFor()
  await page.getByRole('button', { name: 'Pause' }).click()
  await page.locator('#campaign-status').getByText('paused').waitFor()
  // (The status can come first, by the live events, before the answer to the click.)
  await page.locator('#campaign-actions + .note').getByText('Campaign paused').waitFor()
  t.pass('the answer next to the buttons')
  await page.getByRole('button', { name: 'Resume' }).click()
  const resume = page.getByRole('button', { name: /^Yes, dial \d+ calls$/ })
  if (await resume.isVisible()) await resume.click() // asked when calls were still waiting at the pause
  await page.locator('.note').getByText(/Campaign (running|finished)/).waitFor()

  // Watch it: each call's place in plain words; the callback waits for its hour.
  const calls = page.locator('#campaign-calls')
  await calls.getByText(/^callback: follow-up 1 of 1 at (\d+ \w+ )?\d\d:\d\d$/).waitFor({ timeout: 60_000 })
  await calls.getByText('confirmed', { exact: true }).waitFor({ timeout: 60_000 })
  await calls.getByText('busy: not retried by this campaign').or(calls.getByText('busy', { exact: true })).first().waitFor({ timeout: 60_000 })
  await calls.getByText(/^follow-up due at (\d+ \w+ )?\d\d:\d\d$/).waitFor()
  // (The outcomes are redrawn a moment after the live events that change them.)
  await page.locator('#campaign-outcomes').filter({ hasText: /confirmed1/ }).waitFor()
  await screen('7-campaign-running')

  // An hour on (the dispatcher's clock): the callback is made, and the campaign is over.
  clock.advance(3_601_000)
  await page.locator('#campaign-status').getByText('finished').waitFor({ timeout: 60_000 })
  await page.locator('#campaign-outcomes').filter({ hasText: /Done3 of 3 customers done.*callback1.*confirmed1.*Call backs1/s }).waitFor()
  await calls.filter({ hasText: /Meena Later···0005, attempt 2completedcallback/ }).waitFor()
  t.pass('finished: every customer done, the callback made')
  await screen('8-campaign-finished')
  // Its results as a file: a row a customer, as an Excel workbook.
  await page.locator('#campaign-export-format').selectOption('xlsx')
  const [results] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the results, a row a customer' }).click()])
  t.equal(results.suggestedFilename(), 'December-dues-customers.xlsx', 'the results, as a workbook')
  await page.getByText('Downloaded December-dues-customers.xlsx').waitFor()
  // Its charts, each with its numbers in a table.
  await counted(page, '#campaign-charts figure', 5)
  t.same(await page.locator('#campaign-charts figcaption').allTextContents(), [
    'Pick-up rate over time (UTC)', 'Outcomes', 'Attempts per customer', 'Answered calls by hour of the day (UTC)', 'Talk time of answered calls'
  ])
  t.equal(await page.locator('#campaign-charts canvas').count(), 5, 'drawn by uPlot, from this server')
  t.match(await page.locator('#campaign-charts figure').nth(2).locator('tbody').textContent(), /^1221$/, 'two customers dialled once, one twice')
  t.same(await accessibilityProblems(page), [], 'axe: the charts')
  await screen('8b-campaign-charts')
  await nav('Campaigns')
  await page.locator('#campaign-list').getByText(/3 of 3 customers done · 1 callback, 1 confirmed|3 of 3 customers done · 1 confirmed, 1 callback/).waitFor()

  // The Analytics screen: every call of the period, charted.
  await nav('Analytics')
  await counted(page, '#analytics-charts figure', 5)
  t.match(await page.locator('#analytics-facts').textContent(), /Calls4.*Picked up75% \(3\)/s)
  await page.locator('#analytics-filter').getByLabel('Campaign').selectOption({ label: 'December dues' })
  await page.locator('#analytics-filter').getByLabel('Step').selectOption('hour')
  await page.locator('#analytics-filter').getByRole('button', { name: 'Show' }).click()
  await counted(page, '#analytics-charts figure', 5)
  t.same(await accessibilityProblems(page), [], 'axe: the Analytics screen')
  await screen('8c-analytics')

  // The calls board: latest change first, with campaign and attempt.
  await nav('Calls')
  await page.getByText('● live').waitFor()
  t.match(await page.locator('#call-rows li').first().textContent(), /Meena Later···0005.*callback.*December dues, attempt 2/)
  // (Live events move rows as they come; the words for where each stands are the server's, as the list loads.)
  await page.locator('#call-rows li').filter({ hasText: /Meena Later···0005completedcallbackcallback: follow-up 1 of 1 at (\d+ \w+ )?\d\d:\d\dDecember dues, attempt 1/ }).waitFor()
  t.pass('each call with where it stands, in words')
  await screen('9-calls')
  const [everyCall] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download every call' }).click()])
  t.match(await readFile(await everyCall.path(), 'utf8'), /^\uFEFFcall_id,customer_id,name,phone,attempt,status,reason,outcome/, 'every call, as CSV')

  // A call's page: what happened, in words a person reads.
  await page.locator('#call-rows').getByRole('link', { name: 'Asha Rao' }).click()
  await page.getByRole('heading', { name: 'Call to Asha Rao' }).waitFor()
  await page.getByText('The customer pressed 1').waitFor()
  const timeline = await page.locator('#timeline').textContent()
  t.match(timeline, /Queued to be dialled.*Dialled: Exotel accepted the call.*Exotel: the call ended \(completed\)/s)
  t.notMatch(timeline, /exotel-callback|event_type/, 'no internal words')
  t.match(timeline, /Answered by (a person: as Exotel said|not sure: nothing was said \(told \d+\.\d s in\))/, 'who answered, in words')
  t.match(await page.locator('#call-facts').textContent(), /Answered bya person/)
  t.match(await page.locator('#call-customer').textContent(), /amount_due1200/)
  t.match(await page.locator('#transcript').textContent(), /Assistant: Hello.*Caller: \(pressed 1\).*Assistant: Thank you/s)
  // Its recording plays, and a line of the transcript plays from its moment.
  const player = page.getByLabel('Recording of the call')
  await player.waitFor()
  await waitUntil(page, 'document.querySelector("#recording audio").readyState >= 1 && document.querySelector("#recording audio").duration > 1')
  const last = page.locator('#transcript button.seek').last()
  const lineAt = await last.textContent()
  await last.click()
  const [minutes, seconds] = lineAt!.split(':').map(Number)
  const position = await player.evaluate((audio) => (audio as unknown as { currentTime: number }).currentTime)
  t.ok(position >= minutes! * 60 + seconds! && position < minutes! * 60 + seconds! + 2, `the last line plays from ${lineAt!} (${position} s)`)
  t.same(await accessibilityProblems(page), [], 'axe: the call with its recording')
  await screen('10-call')

  // A customer: edited, and one deleted after a confirmation.
  await page.locator('#call-customer').getByRole('link', { name: 'Asha Rao' }).click()
  // Exact: the call's heading ("Call to Asha Rao") is still there until the customer's page has loaded, and a name
  // typed before then would be overwritten by the loaded one.
  await page.getByRole('heading', { name: 'Asha Rao', exact: true }).waitFor()
  await page.locator('#customer-edit').getByLabel('Name').fill('Asha R. Rao')
  await page.locator('#customer-edit').getByRole('button', { name: 'Save' }).click()
  await page.getByText('Saved: later uploads leave these fields as you set them').waitFor()
  await page.getByRole('heading', { name: 'Asha R. Rao' }).waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download what is kept about them' }).click()])
  t.equal(download.suggestedFilename(), 'customer-D1.json', "a person's access request, as a file")
  t.match(JSON.parse(await readFile(await download.path(), 'utf8')), { customer: { id: 'D1', name: 'Asha R. Rao' }, calls: [{ attempt: 1 }] })
  await page.getByText("Downloaded: 1 calls and the customer's record").waitFor()
  await screen('11-customer')
  await page.goto(`${base}/#/customers/D2`)
  await page.getByRole('heading', { name: 'Ravi Busy' }).waitFor()
  await page.getByRole('button', { name: 'Delete customer' }).click()
  await page.getByRole('button', { name: 'Yes, delete Ravi Busy' }).click()
  await page.getByText('Ravi Busy deleted: their number, name and what was said is erased from 1 calls').waitFor()
  await counted(page, '#customer-rows tr', 2)

  // Do not call: numbers added, found, one removed after a confirmation.
  await nav('Do not call')
  const suppress = page.locator('#suppress')
  await suppress.getByLabel('Numbers').fill('9000000997, +91 90000 00998')
  await suppress.getByLabel('Reason').fill('asked not to be called')
  await suppress.getByRole('button', { name: 'Add' }).click()
  await page.locator('#suppress + .note').getByText('Added 2 numbers to the suppression list').waitFor()
  await counted(page, '#suppressions li', 2)
  await page.getByLabel('Find a number').fill('997')
  await counted(page, '#suppressions li', 1)
  await page.getByRole('button', { name: 'Remove +919000000997 from the do-not-call list' }).click()
  await page.getByRole('button', { name: 'Yes, remove it' }).click()
  await page.getByText('Number taken off the suppression list: +919000000997').waitFor()
  await page.getByLabel('Find a number').fill('')
  await counted(page, '#suppressions li', 1)
  await screen('12-do-not-call')

  // On a phone: every screen fits, and passes axe; the back button goes back.
  await page.setViewportSize({ width: 390, height: 844 })
  const campaignId = (await app.db.query<{ id: string }>('SELECT id FROM campaign')).rows[0]!.id
  const callId = (await app.db.query<{ id: string }>("SELECT id FROM call WHERE customer_id = 'D3' AND attempt = 2")).rows[0]!.id
  for (const [hash, heading, name] of [
    ['#/campaigns', 'Campaigns', 'phone-campaigns'],
    [`#/campaigns/${campaignId}`, 'December dues', 'phone-campaign'],
    ['#/campaigns/new', 'New campaign', 'phone-new-campaign'],
    ['#/customers', /^Customers/, 'phone-customers'],
    ['#/customers/D3', 'Meena Later', 'phone-customer'],
    ['#/calls', /^Calls/, 'phone-calls'],
    [`#/calls/${callId}`, 'Call to Meena Later', 'phone-call'],
    ['#/do-not-call', /^Do not call/, 'phone-do-not-call'],
    ['#/assistants', 'Assistants', 'phone-assistants'],
    ['#/analytics', 'Analytics', 'phone-analytics']
  ] as const) {
    await page.goto(`${base}/${hash}`)
    await page.getByRole('heading', { name: heading }).first().waitFor()
    await screen(name)
  }
  await page.locator('#call-rows').waitFor({ state: 'hidden' })
  await page.goBack()
  await page.getByRole('heading', { name: 'Assistants', exact: true }).waitFor()
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.locator('#login').waitFor()
  t.match(await page.locator('#message').textContent(), 'Logged out')
  t.same(outside, [], 'nothing loaded from outside this server')
  t.same(errors, [], 'no script errors')
})
