// The Assistants screen: the list, a form per kind (the fields templates may use listed, each template checked as
// it is typed), the version history, a player for the preview of a chosen customer, and a rehearsal's results.

const SAID = [
  ['greeting', 'Greeting (ends with the question)'],
  ['spoke_instead', 'When the caller speaks instead of pressing a key'],
  ['invalid_key', 'When the key is not a choice'],
  ['no_reply', 'When nothing comes (asked again)'],
  ['goodbye', 'Goodbye, when no choice came']
]

const ON_MACHINE = [
  ['speak-on', 'Speak on, as to a person'],
  ['leave-message', 'Leave the message below after its beep, then hang up'],
  ['hang-up', 'Hang up at once']
]

/** What the server refuses in a template, checked here first: an unclosed {{, an unknown field or filter. */
export function templateProblem (text, fields) {
  const problems = []
  const pattern = /\{\{([^{}]*)\}\}/g
  for (const [, inside] of text.matchAll(pattern)) {
    const [name, ...filters] = inside.split('|').map((part) => part.trim())
    if (!/^[a-z0-9_]{1,64}$/.test(name)) problems.push(`"{{${inside}}}": a field is written in lower case, digits and underscores`)
    else if (!fields.includes(name)) problems.push(`no customer has the field '${name}'`)
    for (const filter of filters) if (!/^(rupees|date|default:\s*"[^"{}]*")$/.test(filter)) problems.push(`unknown filter "${filter}"`)
  }
  const rest = text.replace(pattern, '')
  if (rest.includes('{{')) problems.push('a "{{" is not closed with "}}"')
  else if (rest.includes('}}')) problems.push('a "}}" has no "{{" before it')
  return problems.join('; ')
}

export function assistantsScreen ({ api, post, el, say, attempt, $ }) {
  const state = { fields: [], languages: [], assistants: [], editing: undefined, kind: 'scripted', uid: 0 }

  const languageName = (code) => state.languages.find((language) => language.code === code)?.name ?? code
  const languagesOf = (form) => [form.elements.language.value, form.elements.second.value].filter(Boolean)
    .filter((code, index, all) => all.indexOf(code) === index)

  /** A text box per language, checked as it is typed. */
  function texts (key, label, values = {}, languages) {
    return el('fieldset', { 'data-texts': key },
      el('legend', {}, label),
      ...languages.map((code) => {
        const id = `t${++state.uid}`
        const box = el('textarea', { name: `${key}.${code}`, rows: '2', maxlength: '1000', 'aria-describedby': `${id}-problem`, 'data-template': '' })
        box.value = values[code] ?? ''
        return el('label', {}, `${label} (${languageName(code)})`, box, el('small', { id: `${id}-problem`, class: 'problem', 'aria-live': 'polite' }))
      }))
  }

  function check (box) {
    const problem = templateProblem(box.value, state.fields)
    box.setAttribute('aria-invalid', String(Boolean(problem)))
    box.parentElement.querySelector('.problem').textContent = problem
  }

  function choiceRow (choice = { key: '', outcome: '', reply: {} }, outcome = {}, languages) {
    const row = el('fieldset', { class: 'choice' }, el('legend', {}, 'Choice'),
      el('div', { class: 'grid' },
        el('label', {}, 'Key', el('input', { name: 'key', maxlength: '1', required: '', value: choice.key, pattern: '[0-9*#]' })),
        el('label', {}, 'Outcome', el('input', { name: 'outcome', required: '', value: choice.outcome, pattern: '[a-z0-9-]{1,40}' })),
        checkbox('follow_up', 'Call back', outcome.follow_up), checkbox('final', 'Final', outcome.final)),
      texts('reply', 'Reply', choice.reply, languages))
    const remove = el('button', { type: 'button', class: 'quiet' }, 'Remove this choice')
    remove.addEventListener('click', () => row.remove())
    row.append(remove)
    return row
  }

  function outcomeRow (outcome = { name: '' }) {
    const row = el('fieldset', { class: 'outcome' }, el('legend', {}, 'Outcome'),
      el('div', { class: 'grid' },
        el('label', {}, 'Name', el('input', { name: 'name', required: '', value: outcome.name, pattern: '[a-z0-9-]{1,40}' })),
        el('label', {}, 'What it means', el('input', { name: 'description', value: outcome.description ?? '' })),
        el('label', {}, 'Fields (name:type, ...)', el('input', {
          name: 'fields', placeholder: 'promise_to_pay_date:date, amount:number', value: (outcome.fields ?? []).map((field) => `${field.name}:${field.type}`).join(', ')
        })),
        checkbox('follow_up', 'Call back', outcome.follow_up), checkbox('final', 'Final', outcome.final)))
    const remove = el('button', { type: 'button', class: 'quiet' }, 'Remove this outcome')
    remove.addEventListener('click', () => row.remove())
    row.append(remove)
    return row
  }

  function checkbox (name, label, checked) {
    const box = el('input', { type: 'checkbox', name })
    box.checked = Boolean(checked)
    return el('label', { class: 'check' }, box, ` ${label}`)
  }

  const number = (name, label, value, attributes) => el('label', {}, label, el('input', { name, type: 'number', value: String(value), ...attributes }))

  /** The kind's own part of the form, for these languages, filled from `config`. */
  function renderKind (config) {
    const form = $('assistant-form')
    const languages = languagesOf(form)
    const outcome = (name) => config.outcomes?.find((declared) => declared.name === name) ?? {}
    const parts = []
    if (state.kind === 'scripted') {
      parts.push(el('div', { class: 'grid' },
        el('label', {}, 'Voice', select('gender', [['female', 'female'], ['male', 'male']], config.voice?.gender ?? 'female')),
        number('rate', 'Words a minute', config.voice?.rate ?? 150, { min: '80', max: '300' }),
        number('retries', 'Times to ask again', config.retries ?? 2, { min: '0', max: '5' }),
        number('reply_timeout_seconds', 'Seconds to wait for a key', config.reply_timeout_seconds ?? 6, { min: '0.2', max: '60', step: '0.1' })))
      for (const [key, label] of SAID) parts.push(texts(key, label, config[key], languages))
      const choices = el('div', { id: 'choices' }, ...(config.choices ?? [{ key: '1', outcome: 'confirmed', reply: {} }])
        .map((choice) => choiceRow(choice, outcome(choice.outcome), languages)))
      const add = el('button', { type: 'button', class: 'quiet' }, 'Add a choice')
      add.addEventListener('click', () => choices.append(choiceRow(undefined, {}, languagesOf(form))))
      parts.push(el('h3', {}, 'Keypad choices'), choices, add)
    } else {
      const instructions = el('textarea', { name: 'instructions', rows: '6', maxlength: '8000', 'aria-describedby': 'instructions-problem', 'data-template': '' })
      instructions.value = config.instructions ?? ''
      parts.push(el('label', {}, 'Instructions', instructions, el('small', { id: 'instructions-problem', class: 'problem', 'aria-live': 'polite' })))
      parts.push(texts('first_message', 'First message', config.first_message, languages))
      parts.push(el('div', { class: 'grid' },
        el('label', {}, 'Voice', el('input', { name: 'voice', value: config.voice ?? 'alloy', pattern: '[a-z0-9_-]{1,40}' })),
        el('label', {}, 'Model', el('input', { name: 'model', value: config.model ?? 'gpt-realtime' })),
        number('max_duration_seconds', 'Longest call (seconds)', config.max_duration_seconds ?? 600, { min: '30', max: '3600' })))
      const outcomes = el('div', { id: 'outcomes' }, ...(config.outcomes ?? [{ name: 'confirmed', final: true }]).map(outcomeRow))
      const add = el('button', { type: 'button', class: 'quiet' }, 'Add an outcome')
      add.addEventListener('click', () => outcomes.append(outcomeRow()))
      parts.push(el('h3', {}, 'Outcomes it may record'), outcomes, add)
    }
    parts.push(el('h3', {}, 'Answering machines'),
      el('label', {}, 'When a voicemail, a network message or an IVR answers', select('on_machine', ON_MACHINE, config.on_machine ?? 'speak-on')),
      texts('machine_message', 'Message left on an answering machine', config.machine_message, languages))
    $('kind-fields').replaceChildren(...parts)
    for (const box of form.querySelectorAll('[data-template]')) check(box)
  }

  function select (name, options, value) {
    const node = el('select', { name }, ...options.map(([code, label]) => el('option', { value: code }, label)))
    node.value = value
    return node
  }

  /** The form as the API takes it. */
  function configOf (form) {
    const languages = languagesOf(form)
    const read = (scope, key) => Object.fromEntries(languages.map((code) => [code, scope.querySelector(`[name="${key}.${code}"]`)?.value.trim()])
      .filter(([, text]) => text))
    const value = (name) => form.elements[name].value
    const message = read(form, 'machine_message')
    const machine = { on_machine: value('on_machine'), ...Object.keys(message).length ? { machine_message: message } : {} }
    const flags = (row) => ({
      ...row.querySelector('[name=follow_up]').checked ? { follow_up: true } : {},
      ...row.querySelector('[name=final]').checked ? { final: true } : {}
    })
    if (state.kind === 'scripted') {
      const choices = [...form.querySelectorAll('#choices .choice')].map((row) => ({
        key: row.querySelector('[name=key]').value.trim(), outcome: row.querySelector('[name=outcome]').value.trim(), reply: read(row, 'reply'), ...flags(row)
      }))
      const outcomes = []
      for (const { outcome, follow_up: followUp, final } of choices) {
        if (!outcomes.some((declared) => declared.name === outcome)) outcomes.push({ name: outcome, ...followUp ? { follow_up: true } : {}, ...final ? { final: true } : {} })
      }
      if (!outcomes.some((declared) => declared.name === 'no-response')) outcomes.push({ name: 'no-response', follow_up: true })
      return {
        language: languages[0],
        voice: { gender: value('gender'), rate: Number(value('rate')) },
        ...Object.fromEntries(SAID.map(([key]) => [key, read(form, key)])),
        choices: choices.map(({ key, outcome, reply }) => ({ key, outcome, reply })),
        retries: Number(value('retries')),
        reply_timeout_seconds: Number(value('reply_timeout_seconds')),
        outcomes,
        ...machine
      }
    }
    const first = read(form, 'first_message')
    return {
      language: languages[0],
      instructions: value('instructions'),
      ...Object.keys(first).length ? { first_message: first } : {},
      voice: value('voice'),
      model: value('model'),
      max_duration_seconds: Number(value('max_duration_seconds')),
      ...machine,
      outcomes: [...form.querySelectorAll('#outcomes .outcome')].map((row) => {
        const fields = row.querySelector('[name=fields]').value.split(',').map((pair) => pair.trim()).filter(Boolean)
          .map((pair) => { const [name, type = 'string'] = pair.split(':').map((part) => part.trim()); return { name, type } })
        const description = row.querySelector('[name=description]').value.trim()
        return { name: row.querySelector('[name=name]').value.trim(), ...description ? { description } : {}, ...fields.length ? { fields } : {}, ...flags(row) }
      })
    }
  }

  function openEditor (assistant, kind = assistant?.kind ?? 'scripted') {
    state.editing = assistant
    state.kind = kind
    const form = $('assistant-form')
    form.reset()
    const config = assistant?.config ?? {}
    form.elements.name.value = assistant?.name ?? ''
    form.elements.language.value = config.language ?? 'en'
    const texts = config.greeting ?? config.first_message ?? {}
    form.elements.second.value = Object.keys(texts).find((code) => code !== (config.language ?? 'en')) ?? (assistant ? '' : 'hi')
    form.elements.default.checked = Boolean(assistant?.default)
    $('editor-title').textContent = assistant ? `Edit ${assistant.name} (version ${assistant.version}, ${kind})` : `New ${kind} assistant`
    renderKind(config)
    $('assistant-editor').hidden = false
    $('assistant-tools').hidden = !assistant
    $('preview-result').replaceChildren()
    $('rehearsal-result').replaceChildren()
    $('rehearse-note').textContent = kind === 'openai'
      ? 'A rehearsal of an OpenAI assistant talks with the configured OpenAI model: five short calls to it, billed as such.'
      : 'A rehearsal dials nobody: five simulated callers, ten times faster than a call.'
    if (assistant) loadVersions(assistant.id).catch((error) => say(error.message, true))
    form.elements.name.focus()
  }

  async function loadVersions (id) {
    const { versions } = await api(`/api/assistants/${id}/versions`)
    $('version-list').replaceChildren(...versions.map((version) =>
      el('li', {}, el('strong', {}, `Version ${version.version}`), ` ${version.name}, ${new Date(version.created_at).toLocaleString()}`)))
  }

  async function load () {
    const [{ fields, languages }, { assistants }, { customers }] = await Promise.all([
      api('/api/assistants/fields'), api('/api/assistants?limit=200'), api('/api/customers?limit=50')
    ])
    Object.assign(state, { fields, languages, assistants })
    for (const node of document.querySelectorAll('[data-languages]')) {
      const value = node.value
      node.replaceChildren(...(node.dataset.none ? [el('option', { value: '' }, node.dataset.none)] : []),
        ...languages.map((language) => el('option', { value: language.code }, language.name)))
      node.value = value || (node.dataset.none ? '' : 'en')
    }
    $('fields-hint').textContent = `Fields you can use: ${fields.map((field) => `{{ ${field} }}`).join(', ')}. ` +
      'Filters: {{ amount_due | rupees }}, {{ due_date | date }}, {{ name | default: "there" }}.'
    $('customer-ids').replaceChildren(...customers.map((customer) => el('option', { value: customer.id }, customer.name ?? customer.id)))
    $('assistant-list').replaceChildren(...assistants.map((assistant) => {
      const edit = el('button', { class: 'quiet', 'aria-label': `Edit ${assistant.name}` }, 'Edit')
      edit.addEventListener('click', () => openEditor(assistant))
      const archive = el('button', { class: 'quiet', 'aria-label': `Archive ${assistant.name}` }, 'Archive')
      archive.addEventListener('click', attempt(async () => {
        const result = await api(`/api/assistants/${assistant.id}`, { method: 'DELETE' })
        say(result.message)
        await load()
      }))
      return el('li', { 'data-assistant': assistant.id }, el('div', { class: 'row' },
        el('strong', {}, assistant.name), el('span', { class: 'muted' }, `${assistant.kind}, version ${assistant.version}`),
        assistant.default ? el('span', { class: 'status confirmed' }, 'default') : undefined, edit, assistant.default ? undefined : archive))
    }))
  }

  async function save (event) {
    event.preventDefault()
    const form = event.target
    const body = { name: form.elements.name.value.trim(), kind: state.kind, config: configOf(form), ...form.elements.default.checked ? { default: true } : {} }
    const { assistant } = state.editing
      ? await api(`/api/assistants/${state.editing.id}`, { method: 'PATCH', body: JSON.stringify(body) })
      : await post('/api/assistants', body)
    say(`Saved ${assistant.name}: version ${assistant.version}`)
    await load()
    openEditor(assistant)
  }

  async function preview (event) {
    event.preventDefault()
    const customerId = event.target.elements.customer_id.value.trim()
    const { texts } = await post(`/api/assistants/${state.editing.id}/preview`, customerId ? { customer_id: customerId } : { fields: {} })
    $('preview-result').replaceChildren(el('h3', {}, 'What they hear'), el('ul', { class: 'plain' }, ...texts.map((text) => el('li', {},
      el('strong', {}, `${text.said} (${languageName(text.language)}): `), text.text,
      text.missing.length ? el('span', { class: 'muted' }, ` (no value for ${text.missing.join(', ')})`) : undefined,
      text.audio_wav ? el('audio', { controls: '', preload: 'none', src: `data:audio/wav;base64,${text.audio_wav}`, 'aria-label': `Play the ${text.said}` }) : undefined))))
  }

  async function rehearse () {
    const customerId = $('preview-form').elements.customer_id.value.trim()
    $('rehearsal-result').replaceChildren(el('p', { role: 'status' }, 'Rehearsing with five simulated callers…'))
    const { callers } = await post(`/api/assistants/${state.editing.id}/rehearse`, customerId ? { customer_id: customerId } : { fields: {} })
    const rows = callers.map((caller) => {
      const lines = el('ol', { class: 'transcript' }, ...caller.transcript.map((line) => el('li', { class: line.speaker }, line.text)))
      const said = el('details', {}, el('summary', {}, `${caller.transcript.length} lines, ${caller.assistant_audio_seconds} s of speech`), lines)
      const outcome = caller.outcome ? el('span', { class: `status ${caller.outcome}` }, caller.outcome) : 'none'
      return el('tr', { 'data-caller': caller.caller }, el('td', {}, caller.does), el('td', {}, outcome), el('td', {}, said))
    })
    const head = el('thead', {}, el('tr', {}, el('th', {}, 'Caller'), el('th', {}, 'Outcome'), el('th', {}, 'What was said')))
    $('rehearsal-result').replaceChildren(el('h3', {}, 'Rehearsal'), el('div', { class: 'scroll' }, el('table', {}, head, el('tbody', {}, ...rows))))
  }

  $('new-scripted').addEventListener('click', () => openEditor(undefined, 'scripted'))
  $('new-openai').addEventListener('click', () => openEditor(undefined, 'openai'))
  $('close-editor').addEventListener('click', () => { $('assistant-editor').hidden = true; $('assistant-tools').hidden = true })
  $('assistant-form').addEventListener('submit', attempt(save))
  $('assistant-form').addEventListener('input', (event) => { if (event.target.matches('[data-template]')) check(event.target) })
  $('assistant-form').addEventListener('change', (event) => {
    // Another language: the texts are drawn again for it, keeping what was typed.
    if (event.target.name === 'language' || event.target.name === 'second') renderKind(configOf($('assistant-form')))
  })
  $('preview-form').addEventListener('submit', attempt(preview))
  $('rehearse').addEventListener('click', attempt(rehearse))

  return { load }
}
