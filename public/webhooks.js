// The Webhooks screen (administrators): endpoints of the customer's systems, the events each hears of, its secret
// (shown once, when added or rotated), switching on and off, and each endpoint's delivery log with redelivery.

const EVENTS = {
  'call.completed': 'a call ended (status, outcome, transcript)',
  'campaign.finished': 'a campaign\'s last call is done',
  'campaign.paused': 'a campaign paused itself: its dials were failing',
  'upload.completed': 'a customer file was imported'
}

export function webhooksScreen ({ api, post, el, say, attempt, $, confirmNear }) {
  const path = (id, rest = '') => `/api/webhooks/${id}${rest}`

  /** The secret, shown once with what to do with it. */
  function showSecret (secret, what) {
    $('webhook-secret').replaceChildren(
      el('p', {}, el('strong', {}, `${what} Copy its signing secret now: it is not shown again.`)),
      el('code', { class: 'secret' }, secret),
      el('p', { class: 'muted' }, 'Verify each delivery with it, as the Standard Webhooks specification says (README, "Integrate").'))
    $('webhook-secret').hidden = false
  }

  function deliveryRow (webhook, delivery) {
    const last = delivery.attempts.at(-1)
    const again = el('button', { type: 'button', class: 'quiet', 'aria-label': `Send delivery ${delivery.id} again` }, 'Send again')
    again.addEventListener('click', attempt(async () => {
      const { message } = await post(path(webhook.id, `/deliveries/${delivery.id}/redeliver`))
      say(message)
    }))
    return el('tr', {},
      el('td', {}, new Date(delivery.created_at).toLocaleString()),
      el('td', {}, delivery.event),
      el('td', {}, delivery.status, delivery.status === 'pending' && delivery.next_attempt_at
        ? el('span', { class: 'muted' }, ` (next try ${new Date(delivery.next_attempt_at).toLocaleTimeString()})`)
        : undefined),
      el('td', {}, `${delivery.attempts.length}`, last
        ? el('span', { class: 'muted' }, ` (last: ${last.status_code ?? last.error}, ${last.latency_ms} ms)`)
        : undefined),
      el('td', {}, again))
  }

  async function showDeliveries (webhook, into) {
    const { deliveries } = await api(path(webhook.id, '/deliveries?limit=20'))
    into.replaceChildren(deliveries.length
      ? el('div', { class: 'scroll' }, el('table', {},
        el('caption', { class: 'muted' }, `The latest ${deliveries.length}, newest first; each keeps its webhook-id when sent again`),
        el('thead', {}, el('tr', {}, ...['When', 'Event', 'Status', 'Attempts', ''].map((name) => el('th', { scope: 'col' }, name)))),
        el('tbody', {}, ...deliveries.map((delivery) => deliveryRow(webhook, delivery)))))
      : el('p', { class: 'muted' }, 'Nothing sent yet'))
  }

  function endpointItem (webhook) {
    const log = el('div', {})
    const button = (text, label, onClick, extra = {}) => {
      const node = el('button', { type: 'button', class: 'quiet', 'aria-label': `${label} ${webhook.url}`, ...extra }, text)
      node.addEventListener('click', attempt(onClick))
      return node
    }
    const item = el('li', { 'data-webhook': webhook.url },
      el('p', {}, el('strong', {}, webhook.url), webhook.description ? ` ${webhook.description}` : ''),
      el('p', { class: 'muted' }, `Hears of: ${webhook.events.join(', ')}`),
      el('p', {}, webhook.enabled ? 'On' : el('strong', { class: 'warn' }, `Switched off${webhook.disabled_reason ? `: ${webhook.disabled_reason}` : ''}`)),
      el('div', { class: 'row' },
        button('Deliveries', 'Deliveries of', async () => showDeliveries(webhook, log)),
        button(webhook.enabled ? 'Switch off' : 'Switch on', webhook.enabled ? 'Switch off' : 'Switch on', async () => {
          await api(path(webhook.id), { method: 'PATCH', body: JSON.stringify({ enabled: !webhook.enabled }) })
          await load() // the list is drawn again: what is said goes at the top, where it stays
          say(webhook.enabled ? 'Switched off: nothing is sent to it' : 'Switched on: what waits is sent')
        }),
        button('New secret', 'New secret for', async () => {
          const { secret } = await post(path(webhook.id, '/rotate-secret'))
          showSecret(secret, 'A new secret: the old one signs too for 24 hours.')
        }),
        button('Remove', 'Remove', async (event) => {
          if (!await confirmNear(event.target, `Remove the webhook to ${webhook.url}? Its deliveries are forgotten.`, 'Remove')) return
          const { message } = await api(path(webhook.id), { method: 'DELETE' })
          await load()
          say(message)
        }, { class: 'quiet danger' })),
      log)
    return item
  }

  async function load () {
    const { webhooks } = await api('/api/webhooks')
    $('webhook-list').replaceChildren(...webhooks.map(endpointItem))
    if (!webhooks.length) $('webhook-list').replaceChildren(el('li', { class: 'muted' }, 'No webhooks yet'))
  }

  $('webhook-events').append(...Object.entries(EVENTS).map(([name, words]) =>
    el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'events', value: name, checked: '' }), `${name}: ${words}`)))

  $('webhook-form').addEventListener('submit', attempt(async (event) => {
    event.preventDefault()
    const form = event.target
    const events = [...form.querySelectorAll('input[name=events]:checked')].map((box) => box.value)
    const body = { url: form.elements.url.value, events, ...form.elements.description.value ? { description: form.elements.description.value } : {} }
    const { secret, message } = await post('/api/webhooks', body)
    form.reset()
    say(message)
    showSecret(secret, 'Added.')
    await load()
  }))

  return { load }
}
