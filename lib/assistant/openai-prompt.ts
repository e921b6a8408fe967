import { HANDOFF_OUTCOME } from './settings.js'
import type { OpenAIConfig } from '../../schemas/assistants.js'

type Outcomes = OpenAIConfig['outcomes']
type FieldType = NonNullable<Outcomes[number]['fields']>[number]['type']

const JSON_TYPES: Record<FieldType, object> = {
  string: { type: 'string' },
  number: { type: 'number' },
  date: { type: 'string', description: 'A date as YYYY-MM-DD' },
  boolean: { type: 'boolean' }
}

/**
 * The tools the model is given: recording what came of the call (its `result` one of the assistant's outcomes,
 * with each outcome's fields as typed parameters), hanging up, and, for an assistant that declares the `handoff`
 * outcome, handing the call to a person.
 */
export function toolsFor (outcomes: Outcomes): Array<{ type: 'function', name: string, description: string, parameters: object }> {
  const fields: Record<string, object> = {}
  for (const outcome of outcomes) {
    for (const field of outcome.fields ?? []) {
      fields[field.name] ??= { ...JSON_TYPES[field.type], description: `${field.description ?? field.name} (with ${outcome.name})` }
    }
  }
  return [
    {
      type: 'function',
      name: 'record_outcome',
      description: 'Record what came of the call, as soon as the customer has answered. Outcomes: ' +
        outcomes.map((outcome) => outcome.description ? `${outcome.name}: ${outcome.description}` : outcome.name).join('; '),
      parameters: {
        type: 'object',
        properties: {
          result: { type: 'string', enum: outcomes.map((outcome) => outcome.name) },
          note: { type: 'string', description: 'A short note: a better time to call, ...' },
          ...fields
        },
        required: ['result']
      }
    },
    {
      type: 'function',
      name: 'end_call',
      description: 'Hang up, once you have said goodbye.',
      parameters: { type: 'object', properties: {} }
    },
    ...outcomes.some((outcome) => outcome.name === HANDOFF_OUTCOME)
      ? [{
          type: 'function' as const,
          name: 'hand_off',
          description: 'Hand the call to a person (an agent), once you have told the customer you are connecting them.',
          parameters: { type: 'object', properties: { reason: { type: 'string', description: 'Why, in a few words' } }, required: ['reason'] }
        }]
      : []
  ]
}

/**
 * The outcome the model recorded, kept only as the assistant declared it: a result it has, and each of that
 * outcome's fields in its type (a number given as text is read as one). Answers what was left out, and why.
 */
export function recordedOutcome (outcomes: Outcomes, args: Record<string, unknown>):
{ result: string, detail: Record<string, unknown>, refused: string[] } | undefined {
  const outcome = outcomes.find((candidate) => candidate.name === args.result)
  if (!outcome) return undefined
  const detail: Record<string, unknown> = {}
  const refused: string[] = []
  if (typeof args.note === 'string') detail.note = args.note.slice(0, 1000)
  for (const field of outcome.fields ?? []) {
    const value = args[field.name]
    if (value === undefined || value === null) continue
    const typed = typedValue(field.type, value)
    if (typed === undefined) refused.push(`${field.name} is not a ${field.type}`)
    else detail[field.name] = typed
  }
  return { result: outcome.name, detail, refused }
}

function typedValue (type: FieldType, value: unknown): unknown {
  if (type === 'number') {
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.replace(/[,₹\s]/g, '')) : NaN
    return Number.isFinite(number) ? number : undefined
  }
  if (type === 'boolean') return typeof value === 'boolean' ? value : undefined
  if (typeof value !== 'string') return undefined
  if (type === 'date') return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined
  return value.slice(0, 1000)
}
