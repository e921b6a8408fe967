import type { Call } from '../calls/calls.js'
import { COLUMNS } from '../calls/calls.js'
import { explainCalls } from '../campaigns/campaigns.js'
import type { Queryable } from '../db/database.js'

/** Which calls: all, or those of a status, a customer, a campaign, outcomes (`none`: calls with none). */
export interface ExportFilter {
  status?: string
  customerId?: string
  batchId?: string
  outcomes?: string[]
}

/** One row a call (`attempt`), or one a customer with their latest call and their calls' totals (`customer`). */
export type ExportShape = 'attempt' | 'customer'

export interface ExportTable {
  columns: string[]
  /** The rows, a page at a time, each with a value for every column (null when none). */
  rows: AsyncGenerator<Array<Array<string | number | null>>>
}

const PAGE = 500

/** A cell a spreadsheet would read as a formula (=, +, -, @, tab, carriage return) is given a leading quote. */
export function neutralise (value: string | number | null): string | number | null {
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

type Row = Call & {
  outcome: string | null
  outcome_detail: Record<string, unknown> | null
  attributes: Record<string, unknown> | null
  follows: string | null
  cursor_at: string
  attempts?: number
  talk_seconds?: number
}

function where (filter: ExportFilter, params: unknown[]): string[] {
  const clauses: string[] = []
  if (filter.status) clauses.push(`call.status = $${params.push(filter.status)}`)
  if (filter.customerId) clauses.push(`call.customer_id = $${params.push(filter.customerId)}`)
  if (filter.batchId) clauses.push(`call.batch_id = $${params.push(filter.batchId)}`)
  if (filter.outcomes && filter.outcomes.length > 0) {
    const named = filter.outcomes.filter((name) => name !== 'none')
    clauses.push(`(${[
      ...named.length > 0 ? [`conversation.outcome = ANY($${params.push(named)}::text[])`] : [],
      ...filter.outcomes.includes('none') ? ['conversation.outcome IS NULL'] : []
    ].join(' OR ')})`)
  }
  return clauses
}

const FROM = `FROM call LEFT JOIN call_conversation conversation ON conversation.call_id = call.id
  LEFT JOIN customer ON customer.id = call.customer_id`

const text = (value: unknown) => value === undefined || value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value) as string
const iso = (value: Date | string | null) => value === null ? null : new Date(value).toISOString()

/**
 * The results as a table to write out: its columns (the outcome fields and the uploaded columns found among the
 * calls, each a column of its own) and its rows, read a page at a time by key so that memory stays flat whatever
 * the size. Reasons are said as on the screens, in the campaign's time zone (`timezone` for single calls).
 */
export async function resultsTable (db: Queryable, filter: ExportFilter, shape: ExportShape, timezone: string): Promise<ExportTable> {
  const params: unknown[] = []
  const clauses = where(filter, params)
  const keysOf = async (json: string) => (await db.query<{ key: string }>(
    `SELECT DISTINCT jsonb_object_keys(${json}) AS key ${FROM}
     WHERE ${[...clauses, `jsonb_typeof(${json}) = 'object'`].join(' AND ')} ORDER BY key`, params)).rows.map((row) => row.key)
  const fields = await keysOf('conversation.outcome_detail')
  const uploaded = await keysOf('customer.attributes')
  const base = shape === 'customer'
    ? ['customer_id', 'name', 'phone', 'final_outcome', 'attempts', 'last_status', 'reason', 'talk_seconds', 'last_call_at']
    : ['call_id', 'customer_id', 'name', 'phone', 'attempt', 'status', 'reason', 'outcome', 'dialled_at', 'answered_at', 'ended_at',
        'duration_seconds', 'follows']
  const columns = [...base, ...fields.map((field) => `outcome.${field}`), ...uploaded]

  async function * rows () {
    let after: [string, string] | undefined
    for (;;) {
      const page = [...params]
      const keyset = after
        ? shape === 'customer'
          ? [`call.customer_id > $${page.push(after[0])}`]
          : [`(call.created_at, call.id) > ($${page.push(after[0])}::timestamptz, $${page.push(after[1])}::uuid)`]
        : []
      const all = [...clauses, ...keyset]
      const condition = all.length > 0 ? `WHERE ${all.join(' AND ')}` : ''
      const selected = `${COLUMNS.split(',').map((column) => `call.${column.trim()}`).join(', ')}, call.follows,
        conversation.outcome, conversation.outcome_detail, customer.attributes, call.created_at::text AS cursor_at`
      // A row a customer: the next page's customers first (by key, on an index), then their calls' totals, so that a
      // page costs the same at the end of a large campaign as at its start.
      const inPage = [...clauses, 'call.customer_id IN (SELECT customer_id FROM page)'].join(' AND ')
      const { rows: found } = await db.query<Row>(shape === 'customer'
        ? `WITH page AS (SELECT DISTINCT call.customer_id ${FROM} ${condition} ORDER BY call.customer_id LIMIT ${PAGE})
           SELECT DISTINCT ON (call.customer_id) ${selected},
             count(*) OVER (PARTITION BY call.customer_id)::int AS attempts,
             (sum(coalesce(call.duration_seconds, 0)) OVER (PARTITION BY call.customer_id))::int AS talk_seconds,
             first_value(conversation.outcome) OVER (PARTITION BY call.customer_id
               ORDER BY conversation.outcome IS NULL, call.created_at DESC) AS final_outcome,
             first_value(conversation.outcome_detail) OVER (PARTITION BY call.customer_id
               ORDER BY conversation.outcome IS NULL, call.created_at DESC) AS final_detail
           ${FROM} WHERE ${inPage} ORDER BY call.customer_id, call.created_at DESC`
        : `SELECT ${selected} ${FROM} ${condition} ORDER BY call.created_at, call.id LIMIT ${PAGE}`, page)
      if (found.length === 0) return
      const explained = await explainCalls(db, found, timezone)
      yield explained.map((call) => {
        const row = call as typeof call & { final_outcome?: string | null, final_detail?: Record<string, unknown> | null }
        const detail = (shape === 'customer' ? row.final_detail : row.outcome_detail) ?? {}
        const head = shape === 'customer'
          ? [row.customer_id, row.customer_name, row.phone, row.final_outcome ?? null, row.attempts!, row.status, row.reason,
              row.talk_seconds!, iso(row.created_at)]
          : [row.id, row.customer_id, row.customer_name, row.phone, row.attempt, row.status, row.reason, row.outcome,
              iso(row.dialled_at), iso(row.answered_at), iso(row.ended_at), row.duration_seconds, row.follows]
        return [...head, ...fields.map((field) => text(detail[field])), ...uploaded.map((column) => text(row.attributes?.[column]))]
          .map((value) => neutralise(value ?? null))
      })
      const last = found.at(-1)!
      // The time as PostgreSQL wrote it, to the microsecond: a Date's milliseconds would repeat or skip rows.
      after = shape === 'customer' ? [last.customer_id, ''] : [last.cursor_at, last.id]
      if (found.length < PAGE) return
    }
  }
  return { columns, rows: rows() }
}
