import type { CallContext } from './assistant.js'

/** The tools the model is given: recording what came of the call, and hanging up. */
export const TOOLS: Array<{ type: 'function', name: string, description: string, parameters: object }> = [
  {
    type: 'function',
    name: 'record_outcome',
    description: 'Record what came of the call, as soon as the customer has answered.',
    parameters: {
      type: 'object',
      properties: {
        result: { type: 'string', enum: ['confirmed', 'callback', 'declined', 'wrong-person', 'other'] },
        note: { type: 'string', description: 'A short note: a promised date, a better time to call, ...' }
      },
      required: ['result']
    }
  },
  {
    type: 'function',
    name: 'end_call',
    description: 'Hang up, once you have said goodbye.',
    parameters: { type: 'object', properties: {} }
  }
]

/** The instructions for one customer: each {{field}} replaced by its value, unknown ones by nothing. */
export function fillPrompt (template: string, customer: CallContext['customer']): string {
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(customer.attributes).map(([key, value]) => [key, String(value)])),
    name: customer.name ?? 'the customer',
    phone: customer.phone,
    language: customer.language ?? 'English',
    attributes: Object.entries(customer.attributes).map(([key, value]) => `${key}: ${String(value)}`).join(', ') || 'none'
  }
  return template.replace(/\{\{\s*([\w -]+?)\s*\}\}/g, (_, name: string) => values[name] ?? '')
}
