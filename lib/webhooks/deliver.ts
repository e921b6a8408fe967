import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { Webhook as Signer } from 'standardwebhooks'
import type { Database } from '../db/database.js'

/**
 * The waits after each failed attempt, about a day in all: after the last, the delivery has failed and its endpoint
 * is switched off until the operator enables it again.
 */
export const BACKOFF_SECONDS = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800]

export interface DeliveryPolicy {
  /** Longest wait for an endpoint's answer. */
  timeoutMs: number
  /** Most deliveries sent at once to one endpoint. */
  perEndpoint: number
  /** Most deliveries claimed in one round. */
  batch: number
  /** Loopback, private and link-local destinations are refused unless this says otherwise (development, tests). */
  allowPrivate: boolean
}

const PRIVATE = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) PRIVATE.addSubnet(net, bits, 'ipv6')

/**
 * Why a destination is refused, or undefined: it is not https (http is allowed with `allowPrivate`), its host is not
 * found, or (unless `allowPrivate`: development and tests) it reaches a loopback, private or link-local address.
 */
export async function destinationRefusal (url: string, allowPrivate: boolean): Promise<string | undefined> {
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) return 'it must be an https:// URL'
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true }).catch(() => [])
  if (addresses.length === 0) return `its host ${host} is not found`
  const blocked = addresses.find(({ address, family }) => !allowPrivate && PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4'))
  return blocked ? `it reaches a loopback, private or link-local address (${blocked.address})` : undefined
}

interface Due {
  id: string
  webhook_id: string
  url: string
  secret: string
  previous_secret: string | null
  previous_valid: boolean
  payload: unknown
  attempts: number
}

/**
 * Held while a round claims: one instance claims at a time. A claimed delivery is leased for as long as its round can
 * take (each sender's deliveries one after another, each within the timeout, and a margin): never sent twice at
 * once, and sent again soon after an instance died holding it.
 */
const CLAIM_LOCK = 727_003
/** Deliveries an endpoint's each sender is given in one round. */
const CLAIMED_PER_SENDER = 4
const leaseSeconds = (policy: DeliveryPolicy) => (CLAIMED_PER_SENDER + 1) * Math.ceil(policy.timeoutMs / 1000) + 5

/**
 * Sends what the outbox holds, in rounds started from the dispatcher's upkeep: a round claims due deliveries (a few
 * an endpoint), posts each signed, records the attempt, and schedules the next try or marks it delivered. Rounds
 * run beside the dispatcher, never holding it up; `tick` starts them when none is running, and they follow one
 * another while there is work.
 */
export class WebhookSender {
  #running: Promise<unknown> | undefined
  #stopped = false

  constructor (private readonly db: Database, private readonly policy: DeliveryPolicy,
    private readonly onError: (error: unknown) => void) {}

  /** Starts rounds, one after another while they find work (a backlog drains at once), unless they are running. */
  tick (now: Date): void {
    this.#running ??= this.#drain(now).catch(this.onError).finally(() => { this.#running = undefined })
  }

  async #drain (now: Date) {
    while (await this.round(now) > 0 && !this.#stopped);
  }

  /** Lets the round running end, and starts no other (at close). */
  async idle (): Promise<void> {
    this.#stopped = true
    await this.#running
  }

  /** One round: answers how many deliveries it tried. */
  async round (now: Date): Promise<number> {
    const due = await this.db.transaction(async (tx) => {
      // Nothing is claimed while another instance's round holds the lock. The oldest due first, a few an endpoint.
      const { rows } = await tx.query<Due>(
        `WITH lock AS (SELECT pg_try_advisory_xact_lock($4) AS held),
         due AS (
           SELECT d.id FROM (
             SELECT d.id, d.next_attempt_at, row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) AS n
             FROM (SELECT id, webhook_id, next_attempt_at FROM webhook_delivery
                   WHERE status = 'pending' AND next_attempt_at <= $1 AND (SELECT held FROM lock)
                   ORDER BY next_attempt_at LIMIT 1000) d
             JOIN webhook w ON w.id = d.webhook_id WHERE w.enabled) d
           WHERE n <= $2 ORDER BY next_attempt_at LIMIT $3)
         UPDATE webhook_delivery d SET next_attempt_at = $1::timestamptz + make_interval(secs => $5)
         FROM webhook w WHERE d.id IN (SELECT id FROM due) AND w.id = d.webhook_id
         RETURNING d.id, d.webhook_id, w.url, w.secret, w.previous_secret, coalesce(w.previous_secret_until > $1, false) AS previous_valid,
           d.payload, d.attempts`,
        [now, this.policy.perEndpoint * CLAIMED_PER_SENDER, this.policy.batch, CLAIM_LOCK, leaseSeconds(this.policy)])
      return rows
    })
    // Each endpoint's deliveries by `perEndpoint` senders at once; the attempts recorded together.
    const byEndpoint = new Map<string, Due[]>()
    for (const delivery of due) byEndpoint.set(delivery.webhook_id, [...byEndpoint.get(delivery.webhook_id) ?? [], delivery])
    const sent: Sent[] = []
    await Promise.all([...byEndpoint.values()].flatMap((queue) => Array.from({ length: this.policy.perEndpoint }, async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) sent.push(await this.send(delivery))
    })))
    if (sent.length) await this.record(sent, now)
    return due.length
  }

  private async send (delivery: Due): Promise<Sent> {
    const body = JSON.stringify(delivery.payload)
    // The timestamp receivers check against their clock: the real time, whatever time the scheduler goes by.
    const sentAt = new Date()
    const signatures = [delivery.secret, ...(delivery.previous_valid && delivery.previous_secret ? [delivery.previous_secret] : [])]
      .map((secret) => new Signer(secret).sign(delivery.id, sentAt, body))
    const started = performance.now()
    let status: number | null = null
    let error: string | null = null
    try {
      const refusal = await destinationRefusal(delivery.url, this.policy.allowPrivate)
      if (refusal) throw new Error(`destination refused: ${refusal}`)
      const response = await fetch(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'voice-call-manager-webhooks',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signatures.join(' ')
        },
        body
      })
      status = response.status
      await response.body?.cancel() // what the endpoint answers is not read: its size cannot matter
      if (status < 200 || status > 299) error = `answered ${status}`
    } catch (failure) {
      error = (failure as Error).name === 'TimeoutError' ? `no answer within ${this.policy.timeoutMs} ms` : (failure as Error).message
    }
    return { delivery, status, error, latency: Math.round(performance.now() - started) }
  }

  /** A round's attempts, in one transaction: each logged; delivered, tried again after its wait, or failed. */
  private async record (sent: Sent[], now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_attempt (delivery_id, at, status_code, error, latency_ms)
         SELECT id, $2, status_code, error, latency_ms FROM unnest($1::uuid[], $3::int[], $4::text[], $5::int[]) AS a (id, status_code, error, latency_ms)`,
        [sent.map((one) => one.delivery.id), now, sent.map((one) => one.status), sent.map((one) => one.error), sent.map((one) => one.latency)])
      await tx.query("UPDATE webhook_delivery SET status = 'delivered', attempts = attempts + 1, delivered_at = $2 WHERE id = ANY($1::uuid[])",
        [sent.filter((one) => !one.error).map((one) => one.delivery.id), now])
      const failed = sent.filter((one) => one.error)
      const again = failed.filter((one) => BACKOFF_SECONDS[one.delivery.attempts] !== undefined)
      await tx.query(
        `UPDATE webhook_delivery d SET attempts = d.attempts + 1, next_attempt_at = $2::timestamptz + make_interval(secs => w.wait)
         FROM unnest($1::uuid[], $3::int[]) AS w (id, wait) WHERE d.id = w.id`,
        [again.map((one) => one.delivery.id), now, again.map((one) => BACKOFF_SECONDS[one.delivery.attempts]!)])
      for (const { delivery, error } of failed.filter((one) => !again.includes(one))) {
        await tx.query("UPDATE webhook_delivery SET status = 'failed', attempts = attempts + 1 WHERE id = $1", [delivery.id])
        await tx.query('UPDATE webhook SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1',
          [delivery.webhook_id, `Switched off after failing for a day: the last attempt ${error!}`])
      }
    })
  }
}

interface Sent { delivery: Due, status: number | null, error: string | null, latency: number }

export interface DeliveryLogEntry {
  id: string
  event: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: Array<{ at: Date, status_code: number | null, error: string | null, latency_ms: number }>
  next_attempt_at: Date | null
  created_at: Date
}

/** An endpoint's deliveries, newest first, each with its attempts. */
export async function deliveryLog (db: Database, webhookId: string, limit: number, offset: number): Promise<DeliveryLogEntry[]> {
  const { rows } = await db.query<DeliveryLogEntry>(
    `SELECT d.id, d.event, d.status, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.created_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('at', a.at, 'status_code', a.status_code, 'error', a.error, 'latency_ms', a.latency_ms)
         ORDER BY a.id) FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]') AS attempts
     FROM webhook_delivery d WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2 OFFSET $3`, [webhookId, limit, offset])
  return rows
}

/** Sends an endpoint's delivery again at the next round (its webhook-id unchanged). Answers false when there is none. */
export async function redeliver (db: Database, webhookId: string, deliveryId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE webhook_delivery SET status = 'pending', next_attempt_at = $3 WHERE id = $2 AND webhook_id = $1", [webhookId, deliveryId, now])
  return rowCount > 0
}
