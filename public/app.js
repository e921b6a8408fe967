// The operator dashboard, as screens with their own addresses (#/campaigns, #/campaigns/new, #/campaigns/<id>,
// #/customers, #/customers/<id>, #/calls, #/calls/<id>, #/do-not-call, #/assistants, and for administrators #/people
// and #/audit): account (sign up, confirm,
// log in, forgot password, log out), customer upload with progress and report, customers (search, filter, pages,
// select, edit, delete), campaigns (made, previewed, confirmed, paused, resumed, canceled, with results), a live
// board of calls fed by /api/events, the do-not-call list, and a page per call with its readable timeline.
// The answer to a click is shown next to what was clicked.
import { assistantsScreen } from '/assistants.js'
import { campaignScreens } from '/campaigns.js'
import { drawCharts } from '/charts.js'
import { peopleScreens } from '/people.js'
import { webhooksScreen } from '/webhooks.js'
import { VoiceAssistantAuth } from '/vcm-auth.js'

const auth = new VoiceAssistantAuth()
const $ = (id) => document.getElementById(id)
const PAGE = 25
const state = { offset: 0, total: 0, filter: {}, selected: new Set(), stream: undefined }

/** What the operator last clicked or submitted: answers are shown next to it. */
let origin

/**
 * Tells the operator what came of what they did, next to what they clicked (in its list item or row, else after
 * its form or row of buttons); with nothing clicked still on the page, at the top.
 */
function say (text, error = false) {
  for (const note of document.querySelectorAll('.note')) note.remove()
  const top = $('message')
  top.textContent = ''
  const anchor = origin?.isConnected ? origin.closest('li, td, .row, form, section') : undefined
  if (!text) return
  if (!anchor || anchor.closest('[hidden]')) {
    top.textContent = text
    top.className = error ? 'error' : ''
    top.setAttribute('role', error ? 'alert' : 'status')
    return
  }
  const note = el(anchor.matches('li, td') ? 'span' : 'p', { class: `note${error ? ' error' : ''}`, role: error ? 'alert' : 'status', 'data-at': String(Date.now()) }, text)
  if (anchor.matches('li, td, section')) anchor.append(note)
  else anchor.after(note)
}

document.addEventListener('click', (event) => { if (event.target.closest('button, a')) origin = event.target.closest('button, a') }, true)
document.addEventListener('submit', (event) => { origin = event.submitter ?? event.target }, true)

/**
 * Asks, next to `anchor`, before something that dials many people or cannot be undone: resolves true when the
 * operator says yes.
 */
function confirmNear (anchor, question, yes, no = 'Not now') {
  document.querySelector('.confirm')?.remove()
  return new Promise((resolve) => {
    const yesButton = el('button', { type: 'button' }, yes)
    const noButton = el('button', { type: 'button', class: 'quiet' }, no)
    const box = el('div', { class: 'confirm', role: 'alertdialog', 'aria-label': question }, el('p', {}, question), el('div', { class: 'row' }, yesButton, noButton))
    const answer = (value) => () => { box.remove(); origin = anchor; resolve(value) }
    yesButton.addEventListener('click', answer(true))
    noButton.addEventListener('click', answer(false))
    ;(anchor.closest('li, .row, form') ?? anchor).after(box)
    yesButton.focus()
  })
}

/** An element with text and attributes: el('td', { class: 'x' }, 'text', child, ...). */
function el (tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children.filter((child) => child !== undefined && child !== null))
  return node
}

const badge = (status) => el('span', { class: `status ${status}` }, status)
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '')

/** An API call's JSON body, or an Error with the server's message. A lost session goes back to the login. */
async function api (url, options) {
  try {
    return await auth.request(url, options)
  } catch (error) {
    if (error.status === 401) await signOut(error.message)
    throw error
  }
}

const post = (url, body) => api(url, { method: 'POST', body: JSON.stringify(body) })
const attempt = (work) => async (...args) => {
  try {
    await work(...args)
  } catch (error) {
    say(error.message, true)
  }
}

// ---- Account -------------------------------------------------------------------------------------------------

function tab (name) {
  for (const button of document.querySelectorAll('[data-tab]')) button.setAttribute('aria-pressed', String(button.dataset.tab === name))
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.id !== name
}

async function signOut (text) {
  state.stream?.abort()
  await auth.logout()
  delete document.body.dataset.role
  for (const form of document.querySelectorAll('#signed-out form')) form.reset()
  origin = undefined
  say(text)
  route()
}

const fields = (form) => Object.fromEntries(new FormData(form))

$('login').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, password, new_password: newPassword } = fields(event.target)
  const result = await auth.login(email, password, newPassword || undefined)
  if (result.new_password_required) {
    // An invitation's temporary password: the same form asks for a password of their own.
    $('new-password-hint').hidden = false
    $('new-password-field').hidden = false
    event.target.elements.new_password.required = true
    event.target.elements.new_password.focus()
    return say(result.message, true)
  }
  if (!result.success) return say(result.message, true)
  say('')
  event.target.reset()
  $('new-password-hint').hidden = true
  $('new-password-field').hidden = true
  event.target.elements.new_password.required = false
  route()
}))

$('signup').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, password, first_name: first, last_name: last } = fields(event.target)
  const result = await auth.signup(email, password, first || undefined, last || undefined)
  if (!result.success) return say(result.message, true)
  const local = result.code_sent_to === 'server-log'
  say(local ? "Account created: the code is in the server's log (no email is sent without Cognito)" : 'Account created: enter the code we emailed you')
  $('code-hint').hidden = !local
  $('confirm').elements.email.value = email
  $('login').elements.email.value = email
  tab('confirm')
}))

$('confirm').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, code } = fields(event.target)
  const result = await auth.confirmSignup(email, code.trim())
  if (!result.success) return say(result.message, true)
  say('Email confirmed: you can log in')
  tab('login')
}))

$('resend').addEventListener('click', attempt(async () => {
  const result = await auth.resendConfirmation($('confirm').elements.email.value)
  say(result.message, !result.success)
}))

$('send-reset').addEventListener('click', attempt(async () => {
  const result = await auth.forgotPassword($('forgot').elements.email.value)
  say(result.message, !result.success)
}))

$('forgot').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, code, new_password: password } = fields(event.target)
  const result = await auth.confirmForgotPassword(email, code.trim(), password)
  if (!result.success) return say(result.message, true)
  say('Password changed: you can log in')
  tab('login')
}))

for (const button of document.querySelectorAll('[data-tab]')) button.addEventListener('click', () => tab(button.dataset.tab))
$('logout').addEventListener('click', () => signOut('Logged out'))

// ---- Upload --------------------------------------------------------------------------------------------------

/** Sends the file with XMLHttpRequest, the one browser API that reports upload progress; refreshes once on 401. */
function sendFile (file, retried = false) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest()
    request.open('POST', '/api/upload-customers')
    request.setRequestHeader('Authorization', `Bearer ${auth.token}`)
    request.upload.addEventListener('progress', (event) => { if (event.lengthComputable) $('upload-progress').value = (event.loaded / event.total) * 100 })
    request.addEventListener('load', () => {
      if (request.status === 401 && !retried) {
        auth.refreshToken().then((result) => (result.success ? sendFile(file, true) : reject(new Error(result.message)))).then(resolve, reject)
        return
      }
      let body
      try { body = JSON.parse(request.responseText) } catch { body = { success: false, message: `Upload failed (${request.status})` } }
      if (body.success) resolve(body)
      else reject(new Error(body.message))
    })
    request.addEventListener('error', () => reject(new Error('The upload could not reach the server')))
    const form = new FormData()
    form.append('file', file)
    request.send(form)
  })
}

$('upload').addEventListener('submit', async (event) => {
  event.preventDefault()
  const file = event.target.elements.file.files[0]
  if (!file) return
  const progress = $('upload-progress')
  progress.hidden = false
  progress.value = 0
  $('upload-report').replaceChildren(el('p', {}, `Uploading ${file.name}…`))
  try {
    const report = await sendFile(file)
    progress.value = 100
    const rejected = report.rejected_rows.map((row) => el('li', {}, `Row ${row.row}: ${row.reason}`))
    $('upload-report').replaceChildren(el('div', {},
      el('p', {}, `${report.message}: ${report.inserted} new, ${report.updated} updated, ${report.rejected} rejected.`),
      rejected.length ? el('ul', {}, ...rejected) : undefined,
      report.rejected_rows_not_shown ? el('p', { class: 'muted' }, `and ${report.rejected_rows_not_shown} more rejected rows`) : undefined
    ))
    event.target.reset()
    state.offset = 0
    await Promise.all([loadCustomers(), loadUploadChoice()])
  } catch (error) {
    progress.hidden = true
    $('upload-report').replaceChildren(el('p', { role: 'alert', class: 'error' }, error.message))
    say(error.message, true)
  }
})

// ---- Customers -----------------------------------------------------------------------------------------------

async function loadCustomers () {
  const query = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) })
  for (const [name, value] of Object.entries(state.filter)) query.set(name, value)
  const { customers, total } = await api(`/api/customers?${query}`)
  state.total = total
  $('customer-total').textContent = `(${total})`
  $('customer-rows').replaceChildren(...customers.map((customer) => {
    const label = customer.name ?? customer.id
    const box = el('input', { type: 'checkbox', 'aria-label': `Select ${label}` })
    box.checked = state.selected.has(customer.id)
    box.addEventListener('change', () => {
      if (box.checked) state.selected.add(customer.id)
      else state.selected.delete(customer.id)
      selectionChanged()
    })
    const call = el('button', { class: 'quiet', 'aria-label': `Call ${label}` }, 'Call')
    call.addEventListener('click', attempt(() => callOne(customer.id, label)))
    return el('tr', { 'data-customer': customer.id },
      el('td', {}, box), el('td', {}, el('a', { href: `#/customers/${encodeURIComponent(customer.id)}` }, label),
        el('span', { class: 'muted show-small' }, ` ···${customer.phone.slice(-4)}`)),
      el('td', { class: 'hide-small' }, customer.phone),
      el('td', {}, customer.last_call_status ? badge(customer.last_call_status) : el('span', { class: 'muted' }, 'never called')),
      el('td', {}, call))
  }))
  const last = Math.min(total, state.offset + customers.length)
  $('page-info').textContent = total ? `${state.offset + 1}–${last} of ${total}` : 'No customers yet: upload a file'
  $('prev-page').disabled = state.offset === 0
  $('next-page').disabled = last >= total
  $('select-page').checked = customers.length > 0 && customers.every((customer) => state.selected.has(customer.id))
  selectionChanged()
}

function selectionChanged () {
  const count = state.selected.size
  $('campaign-selected').disabled = count === 0
  $('campaign-selected').textContent = count ? `New campaign with selected (${count})` : 'New campaign with selected'
}

/** The assistant chosen for calls started here: none named means the default. */
const chosenAssistant = () => ($('call-assistant').value ? { assistant_id: $('call-assistant').value } : {})

async function loadUploadChoice () {
  const { uploads } = await api('/api/uploads?limit=50')
  const select = $('customer-filter').elements.upload_id
  const value = select.value
  select.replaceChildren(el('option', { value: '' }, 'any upload'), ...uploads.filter((upload) => upload.status === 'completed')
    .map((upload) => el('option', { value: upload.id }, `${upload.file_name}, ${when(upload.created_at)}`)))
  select.value = value
}

async function loadAssistantChoice () {
  const { assistants } = await api('/api/assistants?limit=200')
  const select = $('call-assistant')
  const value = select.value
  select.replaceChildren(el('option', { value: '' }, 'the default'),
    ...assistants.map((assistant) => el('option', { value: assistant.id }, `${assistant.name}${assistant.default ? ' (default)' : ''}`)))
  select.value = assistants.some((assistant) => assistant.id === value) ? value : ''
}

async function callOne (customerId, label) {
  const { call } = await post('/api/trigger-single-call', { customer_id: customerId, ...chosenAssistant() })
  // Above the list, which live changes redraw (a note in its row would go with it).
  origin = $('campaign-selected')
  say(`Calling ${label}`)
  showCall(call)
}

let searchTimer
$('customer-filter').addEventListener('input', () => {
  clearTimeout(searchTimer)
  searchTimer = setTimeout(attempt(async () => {
    const form = $('customer-filter').elements
    state.filter = Object.fromEntries(['search', 'status', 'last_outcome', 'upload_id']
      .map((name) => [name, form[name].value.trim()]).filter(([, value]) => value))
    state.offset = 0
    await loadCustomers()
  }), 250)
})
$('customer-filter').addEventListener('submit', (event) => event.preventDefault())
$('select-page').addEventListener('change', () => {
  for (const row of $('customer-rows').querySelectorAll('tr')) {
    const box = row.querySelector('input')
    box.checked = $('select-page').checked
    box.dispatchEvent(new Event('change'))
  }
})
// A campaign is made on its own screen, with these customers or this filter chosen.
$('campaign-selected').addEventListener('click', () => {
  campaigns.choose({ customer_ids: [...state.selected] })
  location.hash = '#/campaigns/new'
})
$('campaign-matching').addEventListener('click', () => {
  campaigns.choose({ filter: { ...state.filter } })
  location.hash = '#/campaigns/new'
})
$('prev-page').addEventListener('click', attempt(() => { state.offset = Math.max(0, state.offset - PAGE); return loadCustomers() }))
$('next-page').addEventListener('click', attempt(() => { state.offset += PAGE; return loadCustomers() }))

// ---- Do not call ---------------------------------------------------------------------------------------------

async function loadSuppressions () {
  const search = $('suppress-search').elements.search.value.replace(/[^0-9+]/g, '')
  const { suppressions, total } = await api(`/api/suppressions?limit=50${search ? `&search=${encodeURIComponent(search)}` : ''}`)
  $('suppression-total').textContent = `(${total})`
  $('suppressions').replaceChildren(...suppressions.map((entry) => {
    const remove = el('button', { class: 'quiet', 'aria-label': `Remove ${entry.phone} from the do-not-call list` }, 'Remove')
    remove.addEventListener('click', attempt(async () => {
      if (!await confirmNear(remove, `Take ${entry.phone} off the do-not-call list? Campaigns may call it again.`, 'Yes, remove it')) return
      const result = await api(`/api/suppressions?phone=${encodeURIComponent(entry.phone)}`, { method: 'DELETE' })
      await loadSuppressions()
      origin = $('suppress-search')
      say(`${result.message}: ${entry.phone}`)
    }))
    return el('li', { 'data-phone': entry.phone }, `${entry.phone}${entry.reason ? ` (${entry.reason})` : ''} `, remove)
  }))
}

$('suppress').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const form = event.target
  const phones = form.elements.phones.value.split(/[\n,;]+/).map((phone) => phone.trim()).filter(Boolean)
  const reason = form.elements.reason.value.trim()
  const result = await post('/api/suppressions', reason ? { phones, reason } : { phones })
  say(`${result.message}${result.already ? ` (${result.already} already on it)` : ''}`)
  form.reset()
  await loadSuppressions()
}))

let dncTimer
$('suppress-search').addEventListener('input', () => { clearTimeout(dncTimer); dncTimer = setTimeout(attempt(loadSuppressions), 250) })
$('suppress-search').addEventListener('submit', (event) => event.preventDefault())

$('suppress-file').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const body = new FormData()
  body.set('file', event.target.elements.file.files[0])
  const result = await api('/api/suppressions/upload', { method: 'POST', body })
  say(`${result.message}${result.rejected ? ` (${result.rejected} rows without a valid number)` : ''}`)
  event.target.reset()
  await loadSuppressions()
}))

// ---- Customer ------------------------------------------------------------------------------------------------

let currentCustomer

async function loadCustomerPage (id) {
  const { customer } = await api(`/api/customers/${encodeURIComponent(id)}`)
  currentCustomer = customer
  $('customer-title').textContent = customer.name ?? customer.id
  facts($('customer-facts'), [
    ['Customer id', customer.id], ['Phone', customer.phone], ['Email', customer.email], ['Language', customer.language],
    ...Object.entries(customer.attributes).map(([name, value]) => [name, value]),
    ['Last call', customer.last_call_status ? badge(customer.last_call_status) : 'never called'],
    ['Edited by hand', customer.edited_fields.join(', ')]
  ])
  const form = $('customer-edit')
  for (const name of ['name', 'phone', 'email', 'language']) form.elements[name].value = customer[name] ?? ''
  const { calls } = await api(`/api/calls?customer_id=${encodeURIComponent(id)}&limit=50`)
  $('customer-calls').replaceChildren(...calls.map((call) => el('li', {},
    el('a', { href: `#/calls/${call.id}` }, `${when(call.created_at)}, attempt ${call.attempt}`), ' ', badge(call.status),
    call.outcome ? badge(call.outcome) : undefined, ' ', el('span', { class: 'muted' }, call.reason))))
  if (!calls.length) $('customer-calls').replaceChildren(el('li', { class: 'muted' }, 'Never called'))
}

$('customer-edit').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const form = event.target
  const body = {}
  for (const name of ['name', 'phone', 'email', 'language']) {
    const value = form.elements[name].value.trim()
    if (value !== (currentCustomer[name] ?? '')) body[name] = value || null
  }
  if (!Object.keys(body).length) return say('Nothing changed')
  await api(`/api/customers/${encodeURIComponent(currentCustomer.id)}`, { method: 'PATCH', body: JSON.stringify(body) })
  await loadCustomerPage(currentCustomer.id)
  origin = form.querySelector('button[type=submit]')
  say('Saved: later uploads leave these fields as you set them')
}))

// A person's access request: everything kept about them, as the JSON file the API gives.
$('customer-export').addEventListener('click', attempt(async () => {
  const record = await api(`/api/customers/${encodeURIComponent(currentCustomer.id)}/export`)
  const link = el('a', {
    href: URL.createObjectURL(new Blob([JSON.stringify(record, null, 2)], { type: 'application/json' })),
    download: `customer-${currentCustomer.id.replace(/[^A-Za-z0-9_-]/g, '_')}.json`
  })
  link.click()
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000) // once the browser has saved it
  say(`Downloaded: ${record.calls.length} calls and the customer's record`)
}))

/** Downloads what `url` answers as a file, named as the server names it. */
async function download (url) {
  const response = await auth.makeAuthenticatedRequest(url)
  if (!response.ok) throw new Error((await response.json().catch(() => ({}))).message ?? `The download failed (${response.status})`)
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export'
  const link = el('a', { href: URL.createObjectURL(await response.blob()), download: name })
  link.click()
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000) // once the browser has saved it
  say(`Downloaded ${name}`)
}

$('campaign-export-customers').addEventListener('click', attempt(() =>
  download(`/api/campaigns/${screenId}/export?format=${$('campaign-export-format').value}&per=customer`)))
$('campaign-export-calls').addEventListener('click', attempt(() =>
  download(`/api/campaigns/${screenId}/export?format=${$('campaign-export-format').value}&per=attempt`)))
$('calls-export').addEventListener('click', attempt(() => download(`/api/calls/export?format=${$('calls-export-format').value}`)))

// ---- Analytics ---------------------------------------------------------------------------------------------

/** The period (whole local days) and campaign the Analytics screen's form names, as query parameters. */
function analyticsScope () {
  const form = $('analytics-filter')
  const params = new URLSearchParams()
  if (form.elements.batch_id.value) params.set('batch_id', form.elements.batch_id.value)
  if (form.elements.from.value) params.set('since', new Date(`${form.elements.from.value}T00:00`).toISOString())
  if (form.elements.to.value) params.set('until', new Date(new Date(`${form.elements.to.value}T00:00`).getTime() + 86_400_000).toISOString())
  return params
}

async function loadAnalytics () {
  const form = $('analytics-filter')
  if (form.elements.batch_id.options.length === 1) {
    const { campaigns: list } = await api('/api/campaigns?limit=100')
    form.elements.batch_id.append(...list.filter((campaign) => campaign.started_at).map((campaign) => el('option', { value: campaign.id }, campaign.name)))
  }
  const scope = analyticsScope()
  const [{ analytics }, { series, timezone }] = await Promise.all([
    api(`/api/analytics?${scope}`),
    api(`/api/analytics/series?${scope}&bucket=${form.elements.bucket.value}`)
  ])
  facts($('analytics-facts'), [
    ['Calls', String(analytics.calls)], ['Customers', String(analytics.customers)], ['Dialled', String(analytics.dialled)],
    ['Picked up', analytics.pick_up_rate === null ? 'nothing dialled' : `${Math.round(analytics.pick_up_rate * 100)}% (${analytics.answered})`],
    ['Customers reached', String(analytics.customers_reached)],
    ['Average talk', analytics.average_talk_seconds === null ? '' : `${analytics.average_talk_seconds} s`],
    ...qualitySummary(analytics.quality)
  ])
  drawCharts($('analytics-charts'), series, timezone, el)
  const { caller_ids: numbers } = await api('/api/caller-ids')
  $('caller-id-rows').replaceChildren(...numbers.map((row) => el('tr', {},
    ...[row.number, row.dials, row.answered, row.failed, row.answer_rate === null ? '' : `${Math.round(row.answer_rate * 100)}%`,
      row.resting ? (row.resting_reason === 'refused' ? 'resting: refused by Exotel' : 'resting: not answered') : 'in use'].map((value) => el('td', {}, String(value))))))
}

$('analytics-filter').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  await loadAnalytics()
}))

/** The campaign screen's charts, once it has started. */
async function loadCampaignCharts (id) {
  const { series, timezone } = await api(`/api/analytics/series?batch_id=${id}&bucket=hour`)
  const any = series.over_time.length > 0
  $('campaign-charts-card').hidden = !any
  if (any) drawCharts($('campaign-charts'), series, timezone, el)
}

$('customer-delete').addEventListener('click', attempt(async () => {
  const label = currentCustomer.name ?? currentCustomer.id
  if (!await confirmNear($('customer-delete'), `Delete ${label}? Their number, name and what was said on their calls are erased everywhere; their calls stay counted, under no name. This cannot be undone.`, `Yes, delete ${label}`)) return
  const result = await api(`/api/customers/${encodeURIComponent(currentCustomer.id)}`, { method: 'DELETE' })
  state.selected.delete(currentCustomer.id)
  navigate('#/customers', result.message.replace(/^Customer/, label))
}))

// ---- Live board ----------------------------------------------------------------------------------------------

const SKIPPED = {
  suppressed: 'on the do-not-call list',
  'attempt-cap': 'called too often lately',
  'outside-window': "not dialled before the campaign's end",
  canceled: 'campaign canceled',
  erased: 'the customer was deleted',
  'recently-final': 'already settled recently',
  'missing-field': 'missing a detail the assistant says'
}

const when = (iso) => {
  const date = new Date(iso)
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
}

const board = new Map()
const known = new Map()

/** A call on the board, moved to the top as it changes: who (with the number's last digits), campaign, attempt, status, outcome. */
function showCall (call) {
  const before = known.get(call.id)
  // An answer that left the server before news already shown (a live event overtook it) is old: kept out.
  if (before?.updated_at && call.updated_at && Date.parse(call.updated_at) < Date.parse(before.updated_at)) return
  const seen = { ...before, ...Object.fromEntries(Object.entries(call).filter(([, value]) => value !== undefined)) }
  // A new status without words for it (a live event): the old words would mislead until the server's come.
  if (before && call.status !== undefined && call.status !== before.status && call.reason === undefined) delete seen.reason
  known.set(call.id, seen)
  const row = board.get(call.id) ?? el('li', { 'data-call': call.id })
  const who = `${seen.customer_name ?? seen.customer_id}`
  row.replaceChildren(
    el('div', { class: 'row tight' },
      el('a', { href: `#/calls/${call.id}` }, who), el('span', { class: 'muted' }, seen.phone ? `···${seen.phone.slice(-4)}` : ''),
      badge(seen.status === 'canceled' && seen.skip_reason && seen.skip_reason !== 'canceled' ? 'skipped' : seen.status),
      el('span', { 'data-outcome': '' }, seen.outcome ? badge(seen.outcome) : '')),
    el('div', {}, seen.reason ?? ''),
    el('div', { class: 'muted' }, [
      seen.batch_id ? `${campaigns.nameOf(seen.batch_id) ?? 'campaign'}, attempt ${seen.attempt}` : 'single call',
      time(seen.updated_at)
    ].join(' · ')))
  board.set(call.id, row)
  $('call-rows').prepend(row)
  while (board.size > 50) {
    const [oldest] = [...board.keys()].filter((id) => board.get(id) === $('call-rows').lastElementChild)
    board.get(oldest)?.remove()
    board.delete(oldest)
  }
}

/** The latest calls, each with where it stands in words (as the server says it), latest change first. */
async function loadBoard (fresh = true) {
  const { calls } = await api('/api/calls?limit=50')
  if (fresh) {
    await campaigns.loadNames()
    board.clear()
    $('call-rows').replaceChildren()
  }
  // Drawn anew, every call; refreshed, those that changed.
  const changed = fresh ? calls : calls.filter((call) => !known.has(call.id) || known.get(call.id).updated_at !== call.updated_at || known.get(call.id).reason !== call.reason)
  for (const call of changed.sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at))) showCall(call)
  if (!calls.length) $('call-rows').replaceChildren(el('li', { class: 'muted' }, 'No calls yet: start a campaign'))
}

let refreshSoon
function refreshScreen () {
  clearTimeout(refreshSoon)
  refreshSoon = setTimeout(attempt(async () => {
    // What the screen shows changes: an answer given a while ago would now mislead.
    for (const note of document.querySelectorAll('.note:not(.error)')) if (Date.now() - Number(note.dataset.at) > 5000) note.remove()
    if (screen === 'customers') await loadCustomers()
    if (screen === 'calls') await loadBoard(false)
    await campaigns.refresh(screen, screenId)
    if (screen === 'campaign') await loadCampaignCharts(screenId)
  }), 300)
}

function onEvent (type, data) {
  if (type === 'call') {
    if (known.has(data.id)) showCall(data)
    else api(`/api/calls/${data.id}`).then(({ call }) => showCall(call), () => {})
    refreshScreen()
  }
  if (type === 'batch') refreshScreen()
  if (type === 'conversation' && data.outcome) {
    if (known.has(data.call_id)) showCall({ id: data.call_id, outcome: data.outcome.result })
    refreshScreen()
  }
  if (screen === 'call' && (data.id === screenId || data.call_id === screenId)) loadCallPage(screenId).catch(() => {})
}

/** /api/events read with fetch (EventSource cannot send a bearer token); reconnects after a pause. */
async function listen () {
  const controller = new AbortController()
  state.stream = controller
  while (!controller.signal.aborted && auth.signedIn) {
    try {
      const response = await auth.makeAuthenticatedRequest('/api/events', { signal: controller.signal })
      if (!response.ok) throw new Error(`events: ${response.status}`)
      $('live').textContent = '● live'
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const type = /^event: (.+)$/m.exec(block)?.[1]
          const data = /^data: (.+)$/m.exec(block)?.[1]
          if (type && data) onEvent(type, JSON.parse(data))
        }
      }
    } catch {}
    if (controller.signal.aborted) return
    $('live').textContent = 'reconnecting…'
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
}

// ---- A call's page -------------------------------------------------------------------------------------------

function facts (list, pairs) {
  list.replaceChildren(...pairs.filter(([, value]) => value !== undefined && value !== null && value !== '')
    .flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]))
}

/** What told who answered, in words. */
const CUES = {
  'short-greeting': 'a short greeting, then quiet',
  'long-greeting': 'a long greeting',
  tone: 'a beep or the network\'s tones',
  silence: 'nothing was said',
  exotel: 'as Exotel said'
}

const EXOTEL_EVENTS = { ringing: 'the phone rang', answered: 'the customer answered', terminal: 'the call ended' }

/** A timeline entry as a person says it. */
function eventWords (event) {
  const detail = event.detail
  switch (event.source) {
    case 'api':
      if (event.status === 'queued') return 'Queued to be dialled'
      if (event.status === 'initiated') return 'Dialled: Exotel accepted the call'
      if (event.status === 'failed') return `Exotel refused the call${detail.exotel_status ? ` (${detail.exotel_status})` : ''}`
      return `Not dialled: ${SKIPPED[detail.reason] ?? event.status}`
    case 'dispatcher':
      if (detail.reason === 'outside-window' && detail.until) return `Outside calling hours: waits until ${when(detail.until)}`
      return event.status === 'canceled' ? `Not dialled: ${SKIPPED[detail.reason] ?? detail.reason}` : `Dialled (${event.status})`
    case 'exotel-callback': return `Exotel: ${EXOTEL_EVENTS[detail.event_type] ?? detail.event_type ?? 'news'} (${event.status})`
    case 'passthru':
      if (detail.handoff) return `Handed to a person: ${detail.handoff.agent_answered ? 'an agent took the call' : 'no agent took the call'}`
      if (detail.stream) return 'The assistant\'s part ended: Exotel\'s flow goes on'
      return 'Exotel connected the call to this server'
    case 'media-stream':
      if (detail.answered_by) {
        const after = detail.cue === 'exotel' ? '' : ` (told ${seconds(detail.ms)} in)`
        return `Answered by ${ANSWERED_BY[detail.answered_by] ?? detail.answered_by}: ${CUES[detail.cue] ?? detail.cue}${after}`
      }
      if (detail.digit) return `The customer pressed ${detail.digit}`
      if (detail.assistant) return `Assistant: ${String(detail.assistant).replaceAll('-', ' ')}`
      if (detail.reason !== undefined) return `Audio stream ended${detail.reason ? ` (${detail.reason})` : ''}`
      return 'Audio stream started'
    case 'reconciliation': return `Checked with Exotel: ${detail.exotel_status ?? 'no answer'}${detail.problem ? ` (${detail.problem})` : ''}`
    case 'retry': return `Retry queued after ${detail.because ?? 'the last attempt'}`
    case 'follow-up': return `Follow-up queued after ${detail.because ?? 'the last attempt'}`
    case 'campaign': return `Next: ${detail.next} ${detail.n} of ${detail.of} at ${when(detail.at)}${detail.asked ? ' (when the customer asked)' : ''}`
    default: return `${event.source}: ${event.status}`
  }
}

/** Milliseconds in words: 0.8 s, 1.2 s. */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`
/** The middle and the worst of a list of milliseconds, in words. */
const spread = (list) => {
  if (!list.length) return undefined
  const sorted = [...list].sort((a, b) => a - b)
  const middle = sorted[Math.floor(sorted.length / 2)]
  return sorted.length === 1 ? seconds(middle) : `${seconds(middle)} typically, ${seconds(sorted.at(-1))} at worst (${sorted.length})`
}

/** How a set of calls sounded, as facts: the middle and the 95th percentile of what was measured. */
function qualitySummary (quality) {
  const both = (spread) => spread && `${seconds(spread.p50)} typically, ${seconds(spread.p95)} at the 95th percentile`
  return quality.calls_measured === 0
    ? []
    : [
        ['First words after', both(quality.first_audio_ms)], ['Reply delay', both(quality.response_delay_ms)],
        ['Stopped when interrupted after', both(quality.barge_in_reaction_ms)], ['AI model delay', both(quality.model_delay_ms)],
        ['Audio stutters', quality.underruns ? `${quality.underruns} in ${quality.calls_with_underruns} of ${quality.calls_measured} calls` : 'none']
      ]
}

/** How the call sounded, as facts: only what was measured. */
function qualityFacts (quality) {
  if (!quality) return []
  return [
    ['First words after', quality.first_audio_ms === null ? undefined : seconds(quality.first_audio_ms)],
    ['Reply delay', spread(quality.response_delays_ms)],
    ['Stopped when interrupted after', spread(quality.barge_in_reactions_ms)],
    ['AI model delay', spread(quality.model_delays_ms)],
    ['Audio stutters', quality.underruns ? `${quality.underruns} (the assistant's audio ran dry)` : 'none'],
    ['Gaps in the caller\'s audio', quality.stream_gaps ? `${quality.stream_gaps}, the longest ${seconds(quality.longest_gap_ms)}` : 'none'],
    ['Late audio frames', quality.late_frames ? String(quality.late_frames) : undefined]
  ]
}

/** Seconds as m:ss. */
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`

/** The recording on the call screen: fetched once a call (with the token), kept while the screen is read again. */
let recordingOf = {}
async function showRecording (call) {
  if (!call.recording) {
    if (recordingOf.url) URL.revokeObjectURL(recordingOf.url)
    recordingOf = {}
    $('recording').replaceChildren(el('p', { class: 'muted' }, call.conversation
      ? 'The recording is ready once the call has ended (none is made when recording is off)'
      : 'No recording: nobody answered, or the call has not been answered yet'))
    return
  }
  if (recordingOf.callId === call.id) return
  const response = await auth.makeAuthenticatedRequest(call.recording.url)
  if (!response.ok) throw new Error(`The recording could not be loaded (${response.status})`)
  if (recordingOf.url) URL.revokeObjectURL(recordingOf.url)
  const url = URL.createObjectURL(await response.blob())
  const audio = el('audio', { controls: '', preload: 'metadata', src: url, 'aria-label': 'Recording of the call' })
  recordingOf = { callId: call.id, url, audio, startedAt: Date.parse(call.recording.started_at) }
  $('recording').replaceChildren(audio, el('p', { class: 'muted' },
    `${clock(call.recording.duration_ms / 1000)}: the customer on the left, the assistant on the right. A line's time plays from it.`))
}

/** Who answered, as Exotel or the call's first seconds told. */
const ANSWERED_BY = { human: 'a person', machine: 'an answering machine', notsure: 'not sure' }

async function loadCallPage (id) {
  const { call } = await api(`/api/calls/${id}`)
  $('call-title').textContent = `Call to ${call.customer_name ?? call.customer_id}`
  facts($('call-facts'), [
    ['Status', badge(call.status)], ['Where it stands', call.reason], ['Phone', call.phone], ['Attempt', String(call.attempt)],
    ['Campaign', call.batch_id ? el('a', { href: `#/campaigns/${call.batch_id}` }, campaigns.nameOf(call.batch_id) ?? 'its campaign') : 'single call'],
    ['Dialled', time(call.dialled_at)], ['Answered', time(call.answered_at)], ['Answered by', ANSWERED_BY[call.answered_by] ?? ''],
    ['Ended', time(call.ended_at)],
    ['Duration', call.duration_seconds === null ? '' : `${call.duration_seconds} s`], ['Error', call.error], ['Exotel Sid', call.exotel_sid]
  ])
  const customer = await api(`/api/customers/${encodeURIComponent(call.customer_id)}`).then((body) => body.customer, () => undefined)
  facts($('call-customer'), customer
    ? [['Name', el('a', { href: `#/customers/${encodeURIComponent(customer.id)}` }, customer.name ?? customer.id)], ['Customer id', customer.id],
        ['Language', customer.language], ...Object.entries(customer.attributes)]
    : [['Customer', `${call.customer_id} (deleted)`]])
  const talk = call.conversation
  facts($('conversation-facts'), talk
    ? [['Outcome', talk.outcome ? badge(talk.outcome) : 'none yet'], ['Keys pressed', talk.dtmf || 'none'], ['Assistant', talk.assistant],
        ['Interruptions', String(talk.barge_ins)], ['Started', time(talk.started_at)], ['Ended', time(talk.ended_at)],
        ['How it ended', talk.stop_reason], ['Problem', talk.problem], ...qualityFacts(talk.quality)]
    : [['Conversation', 'none: the call was not answered, or has not been yet']])
  await showRecording(call)
  const { audio, startedAt } = recordingOf
  $('transcript').replaceChildren(...(talk?.transcript ?? []).map((line) => {
    const at = Math.max(0, (Date.parse(line.at) - startedAt) / 1000)
    const seek = audio && el('button', { type: 'button', class: 'quiet seek', 'aria-label': `Play from ${clock(at)}` }, clock(at))
    seek?.addEventListener('click', () => {
      audio.currentTime = at
      audio.play().catch(() => {}) // a browser that may not play yet has still moved to the line
    })
    return el('li', { class: line.speaker }, seek, ' ', el('strong', {}, line.speaker === 'caller' ? 'Caller: ' : 'Assistant: '), line.text)
  }))
  $('timeline').replaceChildren(...call.events.filter((event) => !(event.source === 'media-stream' && event.detail.mark))
    .map((event) => el('li', {}, el('span', { class: 'muted' }, `${time(event.created_at)} `), eventWords(event))))
}

// ---- Screens -------------------------------------------------------------------------------------------------

const assistants = assistantsScreen({ api, post, el, say, attempt, $ })
let signedInAs = {}
const people = peopleScreens({ api, post, el, say, attempt, $, me: () => signedInAs })
const webhooks = webhooksScreen({ api, post, el, say, attempt, $, confirmNear })
const campaigns = campaignScreens({ api, post, el, say, attempt, $, badge, when, confirmNear, facts, qualitySummary, setOrigin: (node) => { origin = node } })

let screen
let screenId

const SCREENS = [
  [/^#\/campaigns\/new$/, 'campaign-new', 'campaign-new-page', 'campaigns'],
  [/^#\/campaigns\/([0-9a-f-]{36})$/, 'campaign', 'campaign-page', 'campaigns'],
  [/^#\/customers\/(.+)$/, 'customer', 'customer-page', 'customers'],
  [/^#\/customers$/, 'customers', 'customers-page', 'customers'],
  [/^#\/calls\/([0-9a-f-]{36})$/, 'call', 'call-page', 'calls'],
  [/^#\/calls$/, 'calls', 'calls-page', 'calls'],
  [/^#\/do-not-call$/, 'do-not-call', 'dnc-page', 'do-not-call'],
  [/^#\/assistants$/, 'assistants', 'assistants-page', 'assistants'],
  [/^#\/people$/, 'people', 'people-page', 'people'],
  [/^#\/analytics$/, 'analytics', 'analytics-page', 'analytics'],
  [/^#\/audit$/, 'audit', 'audit-page', 'audit'],
  [/^#\/webhooks$/, 'webhooks', 'webhooks-page', 'webhooks'],
  [/^(#\/?(campaigns)?)?$/, 'campaigns', 'campaigns-page', 'campaigns']
]

async function route () {
  const signedIn = auth.signedIn
  $('signed-out').hidden = signedIn
  $('account').hidden = !signedIn
  const [match, name, page, nav] = SCREENS.map(([pattern, ...rest]) => [pattern.exec(location.hash), ...rest]).find(([found]) => found) ??
    [[], 'campaigns', 'campaigns-page', 'campaigns']
  screen = name
  screenId = match[1] && decodeURIComponent(match[1])
  for (const main of document.querySelectorAll('[data-screen]')) main.hidden = !signedIn || main.id !== page
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  $('notices').hidden ||= !signedIn
  if (!signedIn) return
  loadNotices()
  try {
    if (!state.stream || state.stream.signal.aborted) {
      const { user } = await api('/auth/me')
      signedInAs = user
      document.body.dataset.role = user.role ?? 'none'
      $('who').textContent = `${user.email ?? user.username} (${user.role ?? 'no role yet'})`
      listen()
    }
    if (screen === 'call') await loadCallPage(screenId)
    else if (screen === 'calls') await loadBoard()
    else if (screen === 'customer') await loadCustomerPage(screenId)
    else if (screen === 'customers') await Promise.all([loadCustomers(), loadAssistantChoice(), loadUploadChoice()])
    else if (screen === 'do-not-call') await loadSuppressions()
    else if (screen === 'assistants') await assistants.load()
    else if (screen === 'people') await people.loadPeople()
    else if (screen === 'analytics') await loadAnalytics()
    else if (screen === 'audit') await people.loadAudit()
    else if (screen === 'webhooks') await webhooks.load()
    else {
      await campaigns.show(screen, screenId)
      if (screen === 'campaign') await loadCampaignCharts(screenId)
    }
  } catch (error) {
    say(error.message, true)
  }
}

/** What needs attention (an endpoint switched off), above every screen; read again on each screen shown. */
async function loadNotices () {
  try {
    const { notices } = await api('/api/notices')
    $('notices').replaceChildren(...notices.map((notice) => el('li', {}, notice.message, ' ',
      el('a', { href: notice.link, 'data-for': 'admin' }, 'Deal with it'))))
    $('notices').hidden = notices.length === 0
  } catch {
    // Said by the screen's own request, if the server is away.
  }
}

/** Goes to another screen, saying `text` at its top once it is there. */
let arriving
function navigate (hash, text) {
  arriving = text
  location.hash = hash
}

window.addEventListener('hashchange', () => {
  origin = undefined
  say(arriving ?? '')
  arriving = undefined
  route()
})
route()
