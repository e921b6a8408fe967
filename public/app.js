// The operator dashboard: account (sign up, confirm, log in, forgot password, log out), customer upload with
// progress and report, customers (search, filter, pages, select, call), campaigns with progress and cancel, a live
// board of calls fed by /api/events, the do-not-call list, and a page per call with its timeline, keys, transcript
// and outcome.
import { assistantsScreen } from '/assistants.js'
import { VoiceAssistantAuth } from '/vcm-auth.js'

const auth = new VoiceAssistantAuth()
const $ = (id) => document.getElementById(id)
const PAGE = 25
const state = { offset: 0, total: 0, search: '', status: '', selected: new Set(), stream: undefined }

function say (text, error = false) {
  $('message').textContent = text
  $('message').className = error ? 'error' : ''
  $('message').setAttribute('role', error ? 'alert' : 'status')
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
  say(text)
  route()
}

const fields = (form) => Object.fromEntries(new FormData(form))

$('login').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, password } = fields(event.target)
  const result = await auth.login(email, password)
  if (!result.success) return say(result.message, true)
  say('')
  event.target.reset()
  route()
}))

$('signup').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const { email, password, first_name: first, last_name: last } = fields(event.target)
  const result = await auth.signup(email, password, first || undefined, last || undefined)
  if (!result.success) return say(result.message, true)
  say('Account created: enter the code we emailed you')
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
    await loadCustomers()
  } catch (error) {
    progress.hidden = true
    $('upload-report').replaceChildren(el('p', { role: 'alert', class: 'error' }, error.message))
    say(error.message, true)
  }
})

// ---- Customers -----------------------------------------------------------------------------------------------

async function loadCustomers () {
  const query = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) })
  if (state.search) query.set('search', state.search)
  if (state.status) query.set('status', state.status)
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
      el('td', {}, box), el('td', {}, label), el('td', { class: 'hide-small' }, customer.phone),
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
  $('call-selected').disabled = count === 0
  $('call-selected').textContent = count ? `Call selected (${count})` : 'Call selected'
}

/** The assistant chosen for calls started here: none named means the default. */
const chosenAssistant = () => ($('call-assistant').value ? { assistant_id: $('call-assistant').value } : {})

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
  say(`Calling ${label}`)
  showCall(call)
}

async function startBatch (body) {
  const result = await post('/api/trigger-bulk-calls', { ...body, ...chosenAssistant() })
  // Why some were left out (in-progress, suppressed, attempt-cap, not-found), and when dialling starts if not now.
  const reasons = Object.entries(result.skipped_by_reason).map(([reason, n]) => `${n} ${reason}`).join(', ')
  const start = new Date(result.first_dial_at)
  const later = start.getTime() > Date.now() + 5000 ? `; dialling starts ${start.toLocaleString()} (calling hours)` : ''
  say(`${result.message}${reasons ? ` (skipped: ${reasons})` : ''}${later}`)
  state.selected.clear()
  await Promise.all([loadCustomers(), loadBatches()])
}

let searchTimer
$('customer-filter').addEventListener('input', () => {
  clearTimeout(searchTimer)
  searchTimer = setTimeout(attempt(async () => {
    state.search = $('customer-filter').elements.search.value.trim()
    state.status = $('customer-filter').elements.status.value
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
$('call-selected').addEventListener('click', attempt(() => startBatch({ customer_ids: [...state.selected] })))
$('call-matching').addEventListener('click', attempt(() => {
  const filter = {}
  if (state.search) filter.search = state.search
  if (state.status) filter.status = state.status
  return startBatch({ filter })
}))
$('prev-page').addEventListener('click', attempt(() => { state.offset = Math.max(0, state.offset - PAGE); return loadCustomers() }))
$('next-page').addEventListener('click', attempt(() => { state.offset += PAGE; return loadCustomers() }))

// ---- Do not call ---------------------------------------------------------------------------------------------

async function loadSuppressions () {
  const { suppressions, total } = await api('/api/suppressions?limit=20')
  $('suppression-total').textContent = `(${total})`
  $('suppressions').replaceChildren(...suppressions.map((entry) => {
    const remove = el('button', { class: 'quiet', 'aria-label': `Remove ${entry.phone} from the do-not-call list` }, 'Remove')
    remove.addEventListener('click', attempt(async () => {
      const result = await api(`/api/suppressions?phone=${encodeURIComponent(entry.phone)}`, { method: 'DELETE' })
      say(result.message)
      await loadSuppressions()
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

$('suppress-file').addEventListener('submit', attempt(async (event) => {
  event.preventDefault()
  const body = new FormData()
  body.set('file', event.target.elements.file.files[0])
  const result = await api('/api/suppressions/upload', { method: 'POST', body })
  say(`${result.message}${result.rejected ? ` (${result.rejected} rows without a valid number)` : ''}`)
  event.target.reset()
  await loadSuppressions()
}))

// ---- Campaigns -----------------------------------------------------------------------------------------------

const LIVE = ['queued', 'initiated', 'ringing', 'in-progress']

async function loadBatches () {
  const { batches } = await api('/api/batches?limit=5')
  $('batches').replaceChildren(...batches.map((batch) => {
    const open = LIVE.reduce((sum, status) => sum + batch.counts[status], 0)
    const done = batch.total - open
    const cancel = el('button', { class: 'quiet' }, 'Cancel')
    cancel.addEventListener('click', attempt(async () => {
      const result = await post(`/api/batches/${batch.id}/cancel`)
      say(result.message)
      await loadBatches()
    }))
    const counts = Object.entries(batch.counts).filter(([, n]) => n > 0).map(([status, n]) => `${status} ${n}`).join(', ')
    return el('li', { 'data-batch': batch.id },
      el('div', { class: 'row' }, el('strong', {}, `${new Date(batch.created_at).toLocaleString()}: ${batch.total} calls`), badge(batch.status),
        batch.status === 'running' ? cancel : undefined),
      el('progress', { max: String(batch.total), value: String(done), 'aria-label': `Campaign progress: ${done} of ${batch.total} finished` }),
      el('div', { class: 'muted' }, `${done} of ${batch.total} finished${counts ? `: ${counts}` : ''}${batch.retries ? `; ${batch.retries} retries` : ''}` +
        (batch.next_dial_at && Date.parse(batch.next_dial_at) > Date.now() + 5000
          ? `; next dial ${new Date(batch.next_dial_at).toLocaleString()}`
          : '')))
  }))
  if (!batches.length) $('batches').replaceChildren(el('li', { class: 'muted' }, 'No campaigns yet: select customers and call them'))
}

// ---- Live board ----------------------------------------------------------------------------------------------

const board = new Map()
const outcomes = new Map()
const names = new Map()

function showCall (call) {
  const row = board.get(call.id) ?? el('tr', { 'data-call': call.id })
  if (call.outcome) outcomes.set(call.id, call.outcome)
  if (call.customer_name !== undefined) names.set(call.id, call.customer_name ?? call.customer_id)
  const outcome = outcomes.get(call.id)
  row.replaceChildren(
    el('td', {}, el('a', { href: `#/calls/${call.id}` }, names.get(call.id) ?? call.customer_id)),
    el('td', {}, badge(call.status)),
    el('td', { 'data-outcome': '' }, outcome ? badge(outcome) : undefined),
    el('td', { class: 'hide-small' }, time(call.updated_at)))
  if (!board.has(call.id)) {
    board.set(call.id, row)
    $('call-rows').prepend(row)
  }
}

async function loadBoard () {
  const { calls } = await api('/api/calls?limit=25')
  board.clear()
  $('call-rows').replaceChildren()
  for (const call of calls.reverse()) showCall(call)
}

let refreshSoon
function refreshLists () {
  clearTimeout(refreshSoon)
  refreshSoon = setTimeout(attempt(() => Promise.all([loadBatches(), loadCustomers()])), 300)
}

function onEvent (type, data) {
  if (type === 'call') {
    if (board.has(data.id)) showCall(data)
    else api(`/api/calls/${data.id}`).then(({ call }) => showCall(call), () => {})
    if (data.batch_id || LIVE.includes(data.status) === false) refreshLists()
  }
  if (type === 'batch') refreshLists()
  if (type === 'conversation' && data.outcome) {
    outcomes.set(data.call_id, data.outcome.result)
    board.get(data.call_id)?.querySelector('[data-outcome]').replaceChildren(badge(data.outcome.result))
  }
  if (currentCall && (data.id === currentCall || data.call_id === currentCall)) loadCallPage(currentCall).catch(() => {})
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

let currentCall

function facts (list, pairs) {
  list.replaceChildren(...pairs.filter(([, value]) => value !== undefined && value !== null && value !== '')
    .flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]))
}

async function loadCallPage (id) {
  const { call } = await api(`/api/calls/${id}`)
  $('call-title').textContent = `Call to ${call.customer_name ?? call.customer_id}`
  facts($('call-facts'), [
    ['Status', badge(call.status)], ['Phone', call.phone], ['Customer', call.customer_id], ['Attempt', String(call.attempt)],
    ['Dialled', time(call.dialled_at)], ['Answered', time(call.answered_at)], ['Ended', time(call.ended_at)],
    ['Duration', call.duration_seconds === null ? '' : `${call.duration_seconds} s`], ['Error', call.error], ['Exotel Sid', call.exotel_sid]
  ])
  const talk = call.conversation
  facts($('conversation-facts'), talk
    ? [['Outcome', talk.outcome ? badge(talk.outcome) : 'none yet'], ['Keys pressed', talk.dtmf || 'none'], ['Assistant', talk.assistant],
        ['Interruptions', String(talk.barge_ins)], ['Started', time(talk.started_at)], ['Ended', time(talk.ended_at)],
        ['How it ended', talk.stop_reason], ['Problem', talk.problem]]
    : [['Conversation', 'none: the call was not answered, or has not been yet']])
  $('transcript').replaceChildren(...(talk?.transcript ?? []).map((line) =>
    el('li', { class: line.speaker }, el('strong', {}, line.speaker === 'caller' ? 'Caller: ' : 'Assistant: '), line.text)))
  $('timeline').replaceChildren(...call.events.map((event) => {
    const detail = Object.entries(event.detail).filter(([, value]) => value !== '' && value !== null && typeof value !== 'object')
      .map(([name, value]) => `${name} ${value}`).join(', ')
    return el('li', {}, `${time(event.created_at)} `, badge(event.status), ` ${event.source}${detail ? `: ${detail}` : ''}`)
  }))
}

// ---- Pages ---------------------------------------------------------------------------------------------------

const assistants = assistantsScreen({ api, post, el, say, attempt, $ })

async function route () {
  const signedIn = auth.signedIn
  $('signed-out').hidden = signedIn
  $('account').hidden = !signedIn
  const match = /^#\/calls\/([0-9a-f-]{36})$/.exec(location.hash)
  const onAssistants = location.hash === '#/assistants'
  $('home').hidden = !signedIn || Boolean(match) || onAssistants
  $('call-page').hidden = !signedIn || !match
  $('assistants-page').hidden = !signedIn || !onAssistants
  currentCall = match?.[1]
  if (!signedIn) return
  try {
    if (!state.stream || state.stream.signal.aborted) {
      const { user } = await api('/auth/me')
      $('who').textContent = user.email ?? user.username
      listen()
    }
    if (match) await loadCallPage(match[1])
    else if (onAssistants) await assistants.load()
    else await Promise.all([loadCustomers(), loadBatches(), loadBoard(), loadSuppressions(), loadAssistantChoice()])
  } catch (error) {
    say(error.message, true)
  }
}

window.addEventListener('hashchange', route)
route()
