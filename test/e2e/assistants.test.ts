import t from 'tap'
import { appWithCustomers, FAST_CALLS, testUsers } from '../helper.js'
import { accessibilityProblems, noBrowser, openPage } from './browser.js'

/**
 * The Assistants screen in headless Chromium, at desktop and phone sizes: the first assistant listed, a new
 * scripted one in English and Hindi with a template typo caught as it is typed, saved, previewed for an uploaded
 * customer (a player for each text), rehearsed with five simulated callers, changed into a second version; then a
 * call started with it from the customers screen. axe-core finds nothing at either size.
 */
t.test('an operator makes an assistant, hears it, rehearses it and calls with it', { skip: noBrowser }, async (t) => {
  const { app, lines } = await appWithCustomers(t, FAST_CALLS, 'customer_id,name,phone,language,amount_due\nA1,Asha Rao,9000000000,hi,1200\n')
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const user = await testUsers(app, lines).signedIn()
  const { page, outside, errors, shot } = await openPage(t, base, 'assistants', { width: 1100, height: 900 })
  await page.goto(base)
  await page.locator('#login').getByLabel('Email').fill(user.email)
  await page.locator('#login').getByLabel('Password', { exact: true }).fill('Passw0rd!long')
  await page.locator('#login').getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('link', { name: 'Assistants' }).click()
  await page.locator('#assistant-list').getByText('Payment reminder').waitFor()
  t.match(await page.locator('#assistant-list').textContent(), /Payment reminder.*scripted, version 1.*default/)
  t.match(await page.locator('#fields-hint').textContent(), /\{\{ amount_due \}\}/, "the upload's columns are offered")
  await shot('1-list')

  await page.getByRole('button', { name: 'New scripted assistant' }).click()
  const form = page.locator('#assistant-form')
  await form.getByLabel('Name', { exact: true }).fill('Dues')
  const greeting = form.getByLabel('Greeting (ends with the question) (English)')
  await greeting.fill('Hello {{ first_name }}, you owe {{ amout_due | rupees }}. Press 1 to confirm.')
  await page.getByText("no customer has the field 'amout_due'").waitFor()
  t.equal(await greeting.getAttribute('aria-invalid'), 'true', 'the typo is caught as it is typed')
  await greeting.fill('Hello {{ first_name }}, you owe {{ amount_due | rupees }}. Press 1 to confirm.')
  t.equal(await greeting.getAttribute('aria-invalid'), 'false')
  await form.getByLabel('Greeting (ends with the question) (Hindi)').fill('नमस्ते {{ first_name }}, आपके {{ amount_due | rupees }} बाकी हैं। पुष्टि के लिए 1 दबाइए।')
  for (const [label, text] of [
    ['When the caller speaks instead of pressing a key', 'Please press 1.'], ['When the key is not a choice', 'That is not a choice.'],
    ['When nothing comes (asked again)', 'Are you there?'], ['Goodbye, when no choice came', 'Goodbye.']
  ] as const) await form.getByLabel(`${label} (English)`).fill(text)
  await form.getByLabel('Reply (English)').fill('Thank you.')
  await form.getByLabel('Reply (Hindi)').fill('धन्यवाद।')
  await form.getByLabel('When a voicemail, a network message or an IVR answers').selectOption({ label: 'Leave the message below after its beep, then hang up' })
  await form.getByLabel('Message left on an answering machine (English)').fill('Hello {{ first_name }}, please call us back.')
  t.same(await accessibilityProblems(page), [], 'axe: the form')
  await shot('2-form')
  await form.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Saved Dues: version 1').waitFor()
  const saved = (await app.db.query<{ config: Record<string, unknown> }>(
    "SELECT config FROM assistant_version JOIN assistant ON assistant.id = assistant_id WHERE assistant.name = 'Dues'")).rows[0]!.config
  t.match(saved, { on_machine: 'leave-message', machine_message: { en: 'Hello {{ first_name }}, please call us back.' } }, 'what to do with a machine, saved')

  // Hear it for an uploaded customer, then rehearse it.
  await page.locator('#preview-form').getByLabel('Customer id').fill('A1')
  await page.getByRole('button', { name: 'Preview' }).click()
  await page.getByText('नमस्ते Asha, आपके 1200 रुपये बाकी हैं।').waitFor()
  t.equal(await page.locator('#preview-result audio').count(), 7, 'a player for each text')
  t.match(await page.locator('#preview-result audio').first().getAttribute('src'), /^data:audio\/wav;base64,UklGR/)
  await page.getByRole('button', { name: 'Rehearse with 5 callers' }).click()
  await page.locator('#rehearsal-result tbody tr').nth(4).waitFor({ timeout: 30_000 })
  const rehearsal = await page.locator('#rehearsal-result tbody').textContent()
  t.match(rehearsal, /listens, then presses 1confirmed/)
  t.match(rehearsal, /listens and never answersno-response/)
  t.same(await accessibilityProblems(page), [], 'axe: preview and rehearsal')
  await shot('3-preview-and-rehearsal')

  // A change is a second version.
  await form.getByLabel('Goodbye, when no choice came (English)').fill('Goodbye, and thank you.')
  await form.getByRole('button', { name: 'Save' }).click()
  await page.getByText('Saved Dues: version 2').waitFor()
  await page.locator('#version-list li').nth(1).waitFor()
  t.match(await page.locator('#version-list').textContent(), /Version 2 Dues.*Version 1 Dues/s)

  // On a phone: nothing wider than the screen; axe finds nothing.
  await page.setViewportSize({ width: 390, height: 844 })
  t.same(await page.evaluate('[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll")).map((e) => e.tagName + "#" + e.id + "." + e.className)'), [], 'no sideways scrolling')
  t.same(await accessibilityProblems(page), [], 'axe: on a phone')
  await shot('4-phone')

  // Call with it from the customers screen.
  await page.getByRole('link', { name: 'Customers', exact: true }).click()
  await page.getByLabel('Assistant for single calls').selectOption({ label: 'Dues' })
  await page.getByRole('button', { name: 'Call Asha Rao' }).click()
  await page.getByText('Calling Asha Rao').waitFor()
  const { rows } = await app.db.query<{ name: string, assistant_version: number }>(
    'SELECT assistant.name, call.assistant_version FROM call JOIN assistant ON assistant.id = call.assistant_id')
  t.same(rows, [{ name: 'Dues', assistant_version: 2 }], 'the call pinned the assistant chosen, at its latest version')
  t.same(outside, [], 'nothing loaded from outside this server')
  t.same(errors, [], 'no script errors')
})
