// The People screen (administrators: invite, change a role, disable and enable) and the Audit screen (who did what,
// newest first, by kind of action and dates, a page at a time).

const ROLES = ['viewer', 'operator', 'admin']
const STATUS = {
  CONFIRMED: 'signed up',
  UNCONFIRMED: 'has not confirmed their email',
  FORCE_CHANGE_PASSWORD: 'invited, not signed in yet',
  RESET_REQUIRED: 'must reset their password'
}
const AUDIT_PAGE = 50

export function peopleScreens ({ api, post, el, say, attempt, $, me }) {
  const audit = { offset: 0, total: 0 }

  const patch = (username, body) => api(`/api/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: JSON.stringify(body) })

  function personRow (user) {
    const self = user.sub === me().sub
    const role = el('select', { 'aria-label': `Role of ${user.email}`, ...(self ? { disabled: '' } : {}) },
      ...ROLES.map((name) => el('option', { value: name, ...(user.role === name ? { selected: '' } : {}) }, name)))
    if (!user.role) role.prepend(el('option', { value: '', selected: '' }, 'no role'))
    role.addEventListener('change', attempt(async () => {
      const { message } = await patch(user.username, { role: role.value })
      say(message)
      await loadPeople()
    }))
    const verb = user.enabled ? 'Disable' : 'Enable'
    const toggle = el('button', {
      type: 'button', class: user.enabled ? 'quiet danger' : 'quiet', 'aria-label': `${verb} ${user.email}`, ...(self ? { disabled: '' } : {})
    }, verb)
    toggle.addEventListener('click', attempt(async () => {
      const { message } = await patch(user.username, { enabled: !user.enabled })
      say(message)
      await loadPeople()
    }))
    return el('tr', { 'data-person': user.email },
      el('td', {}, user.email, self ? el('span', { class: 'muted' }, ' (you)') : undefined),
      el('td', {}, role),
      el('td', {}, STATUS[user.status] ?? user.status.toLowerCase()),
      el('td', {}, user.enabled ? 'yes ' : 'no, disabled ', toggle))
  }

  async function loadPeople () {
    const { users } = await api('/api/users')
    $('people-rows').replaceChildren(...users.map(personRow))
    $('people-info').textContent = `${users.length} people; you cannot change your own role`
  }

  $('invite').addEventListener('submit', attempt(async (event) => {
    event.preventDefault()
    const form = event.target
    const body = { email: form.elements.email.value, role: form.elements.role.value }
    const { message, temporary_password_sent_to: sentTo } = await post('/api/users', body)
    form.reset()
    await loadPeople()
    say(`${message}. ${sentTo === 'email'
      ? 'Cognito has emailed them a temporary password.'
      : 'This server runs without Amazon Cognito: their temporary password is in the server\'s log, on the line "local Cognito: invitation, temporary password".'}`)
  }))

  // ---- Audit ----

  function auditQuery () {
    const form = $('audit-filter')
    const params = new URLSearchParams({ limit: String(AUDIT_PAGE), offset: String(audit.offset) })
    if (form.elements.action.value) params.set('action', form.elements.action.value)
    // Whole days in the operator's time zone: from the start of "from" to the end of "to".
    if (form.elements.from.value) params.set('from', new Date(`${form.elements.from.value}T00:00`).toISOString())
    if (form.elements.to.value) params.set('to', new Date(new Date(`${form.elements.to.value}T00:00`).getTime() + 86_400_000).toISOString())
    return params
  }

  async function loadAudit () {
    const { events, total } = await api(`/api/audit?${auditQuery()}`)
    audit.total = total
    $('audit-rows').replaceChildren(...events.map((event) => el('tr', {},
      el('td', {}, new Date(event.at).toLocaleString()),
      el('td', {}, event.actor_kind === 'program' ? `program ${event.actor}` : (event.actor_email ?? event.actor)),
      el('td', {}, el('strong', {}, event.action), ' ', event.summary,
        event.target_type === 'campaign' && event.target_id ? el('span', {}, ' ', el('a', { href: `#/campaigns/${event.target_id}` }, 'the campaign')) : undefined,
        event.target_type === 'customer' && event.target_id && event.action !== 'customer.deleted'
          ? el('span', {}, ' ', el('a', { href: `#/customers/${encodeURIComponent(event.target_id)}` }, `customer ${event.target_id}`))
          : undefined),
      el('td', { class: 'hide-small' }, event.address ?? ''))))
    if (!events.length) $('audit-rows').replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'Nothing recorded for this choice')))
    const last = Math.min(audit.offset + AUDIT_PAGE, total)
    $('audit-info').textContent = total ? `${audit.offset + 1}-${last} of ${total}, newest first` : ''
    $('audit-prev').disabled = audit.offset === 0
    $('audit-next').disabled = last >= total
  }

  $('audit-filter').addEventListener('submit', attempt(async (event) => {
    event.preventDefault()
    audit.offset = 0
    await loadAudit()
  }))
  $('audit-prev').addEventListener('click', attempt(async () => {
    audit.offset = Math.max(0, audit.offset - AUDIT_PAGE)
    await loadAudit()
  }))
  $('audit-next').addEventListener('click', attempt(async () => {
    audit.offset += AUDIT_PAGE
    await loadAudit()
  }))

  return { loadPeople, loadAudit }
}
