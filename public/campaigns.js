// The campaign screens: the list (status, progress, outcomes), a new campaign (who, assistant, when, tries), and a
// campaign: before it starts, its preview (who will be called, who skipped and why, what the first customers hear)
// and a start confirmed with the count; once started, its progress, outcomes and calls in plain words, with pause,
// resume and cancel.

const REASONS = {
  'in-progress': 'already have a call queued or going on',
  suppressed: 'are on the do-not-call list',
  'attempt-cap': 'were called too often lately (the attempt cap)',
  'recently-final': 'settled recently (e.g. confirmed)',
  'missing-field': 'lack a detail the assistant says',
  'not-found': 'are not customers (unknown ids)'
}
const REASON = {
  'in-progress': 'has a call already',
  suppressed: 'on the do-not-call list',
  'attempt-cap': 'called too often lately',
  'recently-final': 'settled recently',
  'missing-field': 'missing',
  'not-found': 'unknown id'
}

export function campaignScreens ({ api, post, el, say, attempt, $, badge, when, confirmNear, facts, qualitySummary, setOrigin }) {
  const state = { chosen: undefined, offset: 0, names: new Map(), campaign: undefined, preview: undefined }
  const PAGE = 20

  const remember = (campaign) => state.names.set(campaign.id, campaign.name)
  /** Customers in the campaign (called or skipped), and how many of them are done with. */
  const customersIn = (campaign) => Object.values(campaign.counts).reduce((sum, n) => sum + n, 0)
  const progress = (campaign) => `${campaign.done} of ${customersIn(campaign)} customers done`
  const outcomeWords = (outcomes) => Object.entries(outcomes).map(([outcome, n]) => `${n} ${outcome}`).join(', ')

  // ---- The list ----

  async function loadList () {
    const { campaigns, total } = await api(`/api/campaigns?limit=${PAGE}&offset=${state.offset}`)
    campaigns.forEach(remember)
    $('campaign-list').replaceChildren(...campaigns.map((campaign) => el('li', { 'data-campaign': campaign.id },
      el('div', { class: 'row tight' }, el('a', { href: `#/campaigns/${campaign.id}` }, campaign.name), badge(campaign.status)),
      campaign.status === 'draft'
        ? el('div', { class: 'muted' }, 'Not started: open it to see who it will call, then start it')
        : el('progress', { max: String(Math.max(1, customersIn(campaign))), value: String(campaign.done), 'aria-label': `${campaign.name}: ${progress(campaign)}` }),
      campaign.status === 'draft'
        ? undefined
        : el('div', { class: 'muted' }, [progress(campaign), outcomeWords(campaign.outcomes),
          campaign.next_dial_at && campaign.status !== 'paused' ? `next dial ${when(campaign.next_dial_at)}` : ''].filter(Boolean).join(' · ')))))
    if (!campaigns.length) $('campaign-list').replaceChildren(el('li', { class: 'muted' }, 'No campaigns yet: upload customers, then make one'))
    $('campaigns-info').textContent = total ? `${state.offset + 1}–${state.offset + campaigns.length} of ${total}` : ''
    $('campaigns-prev').disabled = state.offset === 0
    $('campaigns-next').disabled = state.offset + campaigns.length >= total
  }

  $('campaigns-prev').addEventListener('click', attempt(() => { state.offset = Math.max(0, state.offset - PAGE); return loadList() }))
  $('campaigns-next').addEventListener('click', attempt(() => { state.offset += PAGE; return loadList() }))

  // ---- A new campaign ----

  async function loadNew () {
    const form = $('campaign-form')
    const [{ assistants }, { uploads }, { caller_ids: numbers }] =
      await Promise.all([api('/api/assistants?limit=200'), api('/api/uploads?limit=50'), api('/api/caller-ids')])
    // A choice only when the server has several numbers.
    $('campaign-numbers').hidden = numbers.length < 2
    $('campaign-number-boxes').replaceChildren(...numbers.map((row) => {
      const box = el('input', { type: 'checkbox', name: 'caller_ids', value: row.number })
      return el('label', { class: 'check' }, box, ` ${row.number}${row.resting ? ' (resting)' : ''}`)
    }))
    form.elements.assistant_id.replaceChildren(el('option', { value: '' }, 'the default'),
      ...assistants.map((assistant) => el('option', { value: assistant.id }, `${assistant.name}${assistant.default ? ' (default)' : ''}`)))
    form.elements.upload_id.replaceChildren(el('option', { value: '' }, 'any upload'),
      ...uploads.filter((upload) => upload.status === 'completed')
        .map((upload) => el('option', { value: upload.id }, `${upload.file_name}, ${when(upload.created_at)}`)))
    const ids = state.chosen?.customer_ids
    $('chosen-option').hidden = !ids
    $('chosen-label').textContent = ids ? `The ${ids.length} customers selected on the Customers screen` : ''
    form.elements.who.value = ids ? 'chosen' : 'filter'
    const filter = state.chosen?.filter ?? {}
    for (const name of ['search', 'status', 'last_outcome', 'upload_id']) form.elements[name].value = filter[name] ?? ''
  }

  $('campaign-form').addEventListener('submit', attempt(async (event) => {
    event.preventDefault()
    const form = event.target
    const value = (name) => form.elements[name].value.trim()
    const body = { name: value('name') }
    if (value('who') === 'chosen' && state.chosen?.customer_ids) {
      body.customer_ids = state.chosen.customer_ids
    } else {
      body.filter = {}
      for (const name of ['search', 'status', 'last_outcome', 'upload_id']) if (value(name)) body.filter[name] = value(name)
    }
    if (value('assistant_id')) body.assistant_id = value('assistant_id')
    const ticked = [...form.querySelectorAll('[name=caller_ids]:checked')].map((box) => box.value)
    if (ticked.length > 0) body.caller_ids = ticked
    for (const name of ['start_at', 'end_at']) if (value(name)) body[name] = new Date(value(name)).toISOString()
    if (value('hours')) {
      body.calling_window = {
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
        hours: value('hours').split(',').map((range) => range.trim())
      }
    }
    const number = (name) => Number(value(name) || 0)
    body.rules = {
      retry: { on: ['busy', 'no-answer'], retries: number('retries'), delay_seconds: Math.round(number('retry_minutes') * 60) },
      follow_up: { delay_seconds: Math.round(number('follow_up_hours') * 3600), max: 1 },
      skip_final_within_days: number('skip_days')
    }
    const { campaign } = await post('/api/campaigns', body)
    remember(campaign)
    state.chosen = undefined
    form.reset()
    location.hash = `#/campaigns/${campaign.id}`
  }))

  // ---- A campaign ----

  function actions (campaign) {
    const buttons = []
    const button = (label, work, quiet = false) => {
      const node = el('button', { type: 'button', class: quiet ? 'quiet' : '' }, label)
      node.addEventListener('click', attempt(() => work(node)))
      buttons.push(node)
    }
    const act = (action) => async () => {
      const result = await post(`/api/campaigns/${campaign.id}/${action}`)
      await loadCampaign(campaign.id)
      setOrigin($('campaign-actions').firstElementChild ?? $('campaign-title'))
      say(result.message)
    }
    if (['running', 'scheduled'].includes(campaign.status)) button('Pause', act('pause'))
    if (campaign.status === 'paused') {
      button('Resume', async (node) => {
        const waiting = campaign.counts.queued
        if (waiting > 0 && !await confirmNear(node, `Resume "${campaign.name}"? ${waiting} calls waiting will be dialled.`, `Yes, dial ${waiting} calls`)) return
        await act('resume')()
      })
    }
    if (!['finished', 'canceled'].includes(campaign.status)) {
      button(campaign.status === 'draft' ? 'Discard draft' : 'Cancel campaign', async (node) => {
        const waiting = campaign.counts.queued
        const question = campaign.status === 'draft'
          ? `Discard "${campaign.name}"? Nobody has been called.`
          : `Cancel "${campaign.name}"? The ${waiting} calls not yet made will not be made; calls going on finish.`
        if (!await confirmNear(node, question, campaign.status === 'draft' ? 'Yes, discard it' : `Yes, cancel ${waiting} calls`)) return
        await act('cancel')()
      }, true)
    }
    $('campaign-actions').replaceChildren(...buttons)
  }

  async function loadCampaign (id) {
    const { campaign } = await api(`/api/campaigns/${id}`)
    state.campaign = campaign
    remember(campaign)
    $('campaign-title').textContent = campaign.name
    $('campaign-status').replaceChildren(badge(campaign.status))
    // A campaign that paused itself says why, above all else on its screen.
    $('campaign-paused-reason').textContent = campaign.paused_reason ?? ''
    $('campaign-paused-reason').hidden = !campaign.paused_reason
    const rules = campaign.rules
    const assistant = campaign.assistant_id ? (await api(`/api/assistants/${campaign.assistant_id}`)).assistant : undefined
    facts($('campaign-facts'), [
      ['Customers', campaign.customer_count !== null ? `${campaign.customer_count} chosen` : filterWords(campaign.filter)],
      ['Assistant', assistant
        ? el('a', { href: '#/assistants' }, `${assistant.name}${campaign.assistant_version ? `, version ${campaign.assistant_version}` : ''}`)
        : 'the default, when it starts'],
      ['Calling hours', `${campaign.calling_window.hours.join(', ')} (${campaign.calling_window.timezone})`],
      ['Caller numbers', campaign.caller_ids ? campaign.caller_ids.join(', ') : 'all of the server\'s, in turn'],
      ['Starts', campaign.start_at ? when(campaign.start_at) : 'when started'], ['Ends', campaign.end_at ? when(campaign.end_at) : ''],
      ['Retries', rules.retry.retries && rules.retry.on.length
        ? `${rules.retry.retries} when ${rules.retry.on.join(' or ')}, ${Math.round(rules.retry.delay_seconds / 60)} min apart`
        : 'none'],
      ['Call backs', rules.follow_up.max ? `${rules.follow_up.max}, when asked or after ${rules.follow_up.delay_seconds / 3600} h` : 'none'],
      ['Started', campaign.started_at ? when(campaign.started_at) : ''], ['Paused', campaign.paused_at ? when(campaign.paused_at) : '']
    ])
    actions(campaign)
    $('campaign-preview').hidden = campaign.status !== 'draft'
    $('campaign-results').hidden = campaign.status === 'draft' || (campaign.status === 'canceled' && !campaign.started_at)
    if (campaign.status === 'draft') await loadPreview(campaign)
    else await loadResults(campaign)
  }

  const filterWords = (filter) => {
    const parts = [filter.search && `matching "${filter.search}"`, filter.status && `last call ${filter.status}`,
      filter.last_outcome && `last outcome ${filter.last_outcome}`, filter.upload_id && 'from one upload']
    return `every customer${parts.filter(Boolean).length ? ` ${parts.filter(Boolean).join(', ')}` : ''}`
  }

  async function loadPreview (campaign) {
    const preview = await api(`/api/campaigns/${campaign.id}/preview?limit=100`)
    state.preview = preview
    $('preview-summary').textContent = `It will call ${preview.would_dial} customers and skip ${preview.would_skip}, from ${when(preview.first_dial_at)}, ` +
      `with ${preview.assistant.name} (version ${preview.assistant.version}).`
    $('preview-reasons').replaceChildren(...Object.entries(preview.skipped_by_reason)
      .map(([reason, n]) => el('li', {}, `${n} skipped: they ${REASONS[reason] ?? reason}`)))
    $('preview-greetings').replaceChildren(...preview.greetings.map((greeting) =>
      el('li', {}, el('strong', {}, `${greeting.name ?? greeting.customer_id}: `), greeting.text)))
    if (!preview.greetings.length) $('preview-greetings').replaceChildren(el('li', { class: 'muted' }, 'Nobody to hear it'))
    $('preview-rows').replaceChildren(...preview.calls.map((call) => el('tr', {},
      el('td', {}, call.name ?? call.customer_id),
      el('td', {}, call.action === 'dial' ? 'yes' : `no: ${REASON[call.reason] ?? call.reason}${call.missing ? ` ${call.missing.join(', ')}` : ''}`))))
    const start = el('button', { type: 'button' }, `Start: call ${preview.would_dial} customers`)
    start.disabled = preview.would_dial === 0
    start.addEventListener('click', attempt(async () => {
      const question = `Call ${preview.would_dial} customers from ${when(preview.first_dial_at)}? ${preview.would_skip} ${preview.would_skip === 1 ? 'is' : 'are'} skipped.`
      if (!await confirmNear(start, question, `Yes, call ${preview.would_dial} customers`)) return
      try {
        const result = await post(`/api/campaigns/${campaign.id}/start`, { fingerprint: preview.fingerprint })
        await loadCampaign(campaign.id)
        setOrigin($('campaign-actions'))
        say(result.message)
      } catch (error) {
        await loadCampaign(campaign.id) // the new preview, for the operator to look at again
        setOrigin($('preview-actions').firstElementChild)
        say(error.message, true)
      }
    }))
    $('preview-actions').replaceChildren(start)
  }

  async function loadResults (campaign) {
    const { calls, total } = await api(`/api/campaigns/${campaign.id}/calls?limit=100`)
    $('campaign-progress').max = Math.max(1, customersIn(campaign))
    $('campaign-progress').value = campaign.done
    const analytics = campaign.analytics
    facts($('campaign-outcomes'), [
      ['Done', progress(campaign)],
      ...Object.entries(campaign.outcomes).map(([outcome, n]) => [outcome, String(n)]),
      ['Picked up', analytics.pick_up_rate === null ? '' : `${Math.round(analytics.pick_up_rate * 100)}% of ${analytics.dialled} dials`],
      ['Retries', String(campaign.retries)], ['Call backs', String(campaign.follow_ups)],
      ['Average talk', analytics.average_talk_seconds === null ? '' : `${analytics.average_talk_seconds} s`],
      ['Next dial', campaign.next_dial_at && campaign.status !== 'paused' ? when(campaign.next_dial_at) : ''],
      ...qualitySummary(analytics.quality)
    ])
    $('campaign-calls').replaceChildren(...calls.map((call) => el('li', { 'data-call': call.id },
      el('div', { class: 'row tight' }, el('a', { href: `#/calls/${call.id}` }, call.customer_name ?? call.customer_id),
        el('span', { class: 'muted' }, `···${call.phone.slice(-4)}, attempt ${call.attempt}`), badge(call.status)),
      el('div', {}, call.reason))))
    if (total > calls.length) $('campaign-calls').append(el('li', { class: 'muted' }, `and ${total - calls.length} earlier calls`))
    if (!calls.length) $('campaign-calls').replaceChildren(el('li', { class: 'muted' }, 'No calls'))
  }

  return {
    /** The customers a new campaign starts with, chosen on the Customers screen. */
    choose (selection) { state.chosen = selection },
    nameOf: (id) => state.names.get(id),
    async loadNames () {
      const { campaigns } = await api('/api/campaigns?limit=200')
      campaigns.forEach(remember)
    },
    async show (screen, id) {
      if (screen === 'campaign-new') await loadNew()
      else if (screen === 'campaign') await loadCampaign(id)
      else await loadList()
    },
    /** Something changed (a call, a campaign): the screen showing it is read again. */
    async refresh (screen, id) {
      if (screen === 'campaigns') await loadList()
      if (screen === 'campaign' && state.campaign?.id === id && state.campaign.status !== 'draft') await loadCampaign(id)
    }
  }
}
