import t from 'tap'
import { paymentReminder, upgradedPrompt } from '../../../lib/assistant/first-assistant.js'
import { checkSettings, outcomesOf, SettingsError, textFor } from '../../../lib/assistant/settings.js'
import { fieldName, parseTemplate, renderTemplate, spokenAs, TemplateError, valuesOf } from '../../../lib/assistant/template.js'
import type { OpenAIConfig } from '../../../schemas/assistants.js'

const customer = valuesOf({
  id: 'C1',
  name: '  Asha  Rao ',
  phone: '+919876543210',
  language: 'hi',
  attributes: { 'Amount Due': '₹1,200', 'due.date': '2026-12-05', Blank: ' ', Missing: null }
})

t.test('templates: the customer\'s own fields and their file\'s columns, by field name; fallbacks for what is missing', async (t) => {
  t.equal(fieldName(' Amount Due '), 'amount_due')
  t.equal(fieldName('due.date'), 'due_date')
  t.same(Object.fromEntries(customer), {
    amount_due: '₹1,200',
    due_date: '2026-12-05',
    name: '  Asha  Rao ',
    first_name: 'Asha',
    phone_last4: '3210',
    customer_id: 'C1',
    details: 'Amount Due: ₹1,200, due.date: 2026-12-05',
    language: 'hi'
  })
  const render = (text: string, language: 'en' | 'hi' = 'en') => renderTemplate(parseTemplate(text), customer, language)
  t.same(render('Hi {{first_name}}, {{ amount_due | rupees }} by {{ due_date | date }}.'), { text: 'Hi Asha, 1200 rupees by 5 December.', missing: [] })
  t.same(render('{{ amount_due | rupees }}, {{ due_date | date }}', 'hi'), { text: '1200 रुपये, 5 दिसंबर', missing: [] })
  t.same(render('Dear {{ blank | default: "customer" }} ,{{ nothing }}.'), { text: 'Dear customer,.', missing: ['blank', 'nothing'] })
  t.same(render('{{ name | rupees | default: "some money" }}'), { text: 'some money', missing: ['name'] }, 'a value that is not an amount is missing')
  t.same(render('no fields at all'), { text: 'no fields at all', missing: [] })
})

t.test('amounts and dates as people say them', async (t) => {
  t.equal(spokenAs('rupees', 'Rs. 1,00,000/-', 'en'), '100000 rupees')
  t.equal(spokenAs('rupees', 'INR 99.5', 'hi'), '99 रुपये 50 पैसे')
  t.equal(spokenAs('rupees', '12.05', 'en'), '12 rupees and 5 paise')
  t.equal(spokenAs('rupees', 'twelve', 'en'), undefined)
  t.equal(spokenAs('date', '5/1/2027', 'en'), '5 January')
  t.equal(spokenAs('date', '2026-02-30', 'en'), undefined, 'no such day')
  t.equal(spokenAs('date', 'tomorrow', 'en'), undefined)
  t.equal(spokenAs('date', '2026-12-05T10:00:00Z', 'ta'), '5 டிசம்பர்')
})

t.test('a template that does not parse is refused, saying where', async (t) => {
  const cases: Array<[string, string]> = [
    ['Hello {{ name', '"{{" at character 7 is not closed with "}}"'],
    ['Hello name }}', '"}}" with no "{{" before it, at character 12'],
    ['}} {{ name }}', '"}}" with no "{{" before it, at character 1'],
    ['{{ Name }}', '"{{Name}}" at character 1: a field is written in lower case, digits and underscores'],
    ['{{ }}', '"{{}}" at character 1: a field is written in lower case, digits and underscores'],
    ['{{ name | upper }}', '"{{name | upper}}" at character 1: unknown filter "upper" (rupees, date, default: "...")'],
    ['{{ name | default: unquoted }}', '"{{name | default: unquoted}}" at character 1: unknown filter "default: unquoted" (rupees, date, default: "...")']
  ]
  for (const [text, message] of cases) t.throws(() => parseTemplate(text), new TemplateError(message), text)
})

t.test('settings the schema cannot check: OpenAI instructions and first message, repeated outcome fields; outcomes; texts by language', async (t) => {
  const fields = new Set(['name', 'first_name', 'amount_due'])
  const openai: OpenAIConfig = {
    language: 'en',
    instructions: 'Call {{ name }} about {{ amount_due }}.',
    first_message: { en: 'Hello {{ first_name }}', hi: 'नमस्ते {{ first_name }}' },
    voice: 'alloy',
    model: 'gpt-realtime',
    outcomes: [{ name: 'promised', fields: [{ name: 'date', type: 'date' }] }, { name: 'other' }],
    max_duration_seconds: 300
  }
  t.doesNotThrow(() => checkSettings('openai', openai, fields))
  t.doesNotThrow(() => checkSettings('openai', { ...openai, first_message: undefined }, fields), 'a first message is not needed')
  t.throws(() => checkSettings('openai', { ...openai, instructions: 'About {{ amount }}' }, fields),
    new SettingsError("config.instructions names the field 'amount', which no customer has: use name, first_name, phone_last4, customer_id, language, details or a column of an uploaded file"))
  t.throws(() => checkSettings('openai', { ...openai, first_message: { hi: 'नमस्ते' } }, fields),
    new SettingsError("config.first_message has no text in en (English), the assistant's language"))
  t.throws(() => checkSettings('openai', { ...openai, outcomes: [{ name: 'x', fields: [{ name: 'a', type: 'date' }, { name: 'a', type: 'number' }] }] }, fields),
    new SettingsError("config.outcomes[0].fields[1].name 'a' is given twice"))
  t.throws(() => checkSettings('openai', { ...openai, first_message: { en: 'Hi {{ first_name' } }, fields), { message: /^config.first_message.en: "\{\{" at character 4/ })
  t.same(outcomesOf('openai', openai), ['promised', 'other'])
  t.same(outcomesOf('scripted', paymentReminder(8000)), ['confirmed', 'callback', 'no-response', 'hung-up'])
  t.doesNotThrow(() => checkSettings('scripted', paymentReminder(8000), new Set(['first_name'])), 'the first assistant is valid')
  t.same(textFor({ en: 'a', hi: 'b' }, 'hi', 'en'), { text: 'b', language: 'hi', fellBack: false })
  t.same(textFor({ en: 'a' }, 'hi', 'en'), { text: 'a', language: 'en', fellBack: true })
  t.same(textFor({ en: 'a' }, undefined, 'en'), { text: 'a', language: 'en', fellBack: false })
})

t.test('an ASSISTANT_PROMPT of before keeps working: {{attributes}} is every column, {{phone}} only its last four digits', async (t) => {
  t.equal(upgradedPrompt('Call {{name}} ({{attributes}}, {{ phone }}) in {{language}}'), 'Call {{name}} ({{ details }}, {{ phone_last4 }}) in {{language}}')
})
