import t from 'tap'
import { applyReport, createCall } from '../../../lib/calls/calls.js'
import { getCampaign, resumeCampaign } from '../../../lib/campaigns/campaigns.js'
import { pauseFailingCampaigns } from '../../../lib/campaigns/self-pause.js'
import type { Database } from '../../../lib/db/database.js'
import { newSecret } from '../../../lib/webhooks/webhooks.js'
import { CampaignPausedEvent } from '../../../schemas/webhooks.js'
import { engines, migratedDatabase, schemaErrors } from '../../helper.js'

const RULES = { failedShare: 0.5, minDials: 5, windowMs: 120_000 }
const CAMPAIGN_RULES = { retry: { on: ['busy'], retries: 0, delay_seconds: 60 }, follow_up: { delay_seconds: 60, max: 0 }, skip_final_within_days: 0 }

async function campaignOf (db: Database, name: string) {
  const { rows: [campaign] } = await db.query<{ id: string }>(
    `INSERT INTO campaign (name, created_by, started_at, total, rules, calling_window)
     VALUES ($1, 'sub', now(), 10, $2, '{"hours":["00:00-24:00"],"days":[1,2,3,4,5,6,7],"timezone":"Asia/Kolkata"}') RETURNING id`,
    [name, CAMPAIGN_RULES])
  return campaign!.id
}

/** A call of the campaign dialled now, ending as `ends` (failed with Exotel's `refused` status, when given). */
async function dialled (db: Database, campaignId: string, n: number, ends: 'failed' | 'reported-failed' | 'busy' | 'queued', refused?: number) {
  const call = await createCall(db, { customerId: `C${n}`, customerName: null, phone: `+91900000${String(n).padStart(4, '0')}`, triggeredBy: 'sub', batchId: campaignId })
  if (ends === 'queued') return call
  await db.query('UPDATE call SET claimed_at = now() WHERE id = $1', [call.id])
  if (ends === 'busy' || ends === 'reported-failed') {
    // Exotel's StatusCallback says so, with no reason.
    await applyReport(db, { id: call.id }, { status: ends === 'busy' ? 'busy' : 'failed', source: 'exotel-callback', dedupeKey: 'terminal' })
  } else {
    await applyReport(db, { id: call.id }, {
      status: 'failed',
      source: 'api',
      dedupeKey: 'dial-failed',
      error: refused ? 'Exotel refused the call; the account may need KYC verification (TRAI rules)' : 'Exotel failed (500)',
      detail: { exotel_status: refused ?? 500, outcome_unknown: false }
    })
  }
  return call
}

for (const engine of engines) {
  t.test(`${engine.name}: a campaign whose dials fail in a burst pauses itself, says why, and waits for an operator`, async (t) => {
    const db = await migratedDatabase(t, engine)
    await db.query("INSERT INTO webhook (url, events, secret, created_by) VALUES ('http://127.0.0.1:9/', '{campaign.paused}', $1, 't')", [newSecret()])
    const failing = await campaignOf(db, 'Dues')
    const busy = await campaignOf(db, 'Busy people')
    for (let n = 1; n <= 4; n++) await dialled(db, failing, n, n <= 2 ? 'failed' : 'busy')
    for (let n = 11; n <= 16; n++) await dialled(db, busy, n, 'busy')
    await dialled(db, failing, 9, 'queued')
    await dialled(db, busy, 19, 'queued')
    t.same(await pauseFailingCampaigns(db, RULES, new Date()), [], 'two failures of four dials: too few dials to judge; busy is no failure')

    await dialled(db, failing, 5, 'failed')
    const [paused, ...others] = await pauseFailingCampaigns(db, RULES, new Date())
    t.same(others, [], 'only the failing campaign')
    t.equal(paused!.id, failing)
    t.equal(paused!.reason, 'Paused itself: 3 of its last 5 dials failed within 120 s: Exotel failed (500). Resume it once that is mended.')
    t.match(await getCampaign(db, failing), { status: 'paused', paused_reason: paused!.reason })
    const { rows: [delivery] } = await db.query<{ payload: object }>("SELECT payload FROM webhook_delivery WHERE event = 'campaign.paused'")
    t.same(schemaErrors(CampaignPausedEvent, delivery!.payload), [], 'campaign.paused, as its schema says')
    t.match(delivery!.payload, { type: 'campaign.paused', data: { campaign_id: failing, name: 'Dues', reason: paused!.reason } })
    t.same(await pauseFailingCampaigns(db, RULES, new Date()), [], 'once')

    // Resumed: the failures before count no more; new ones do.
    t.match(await resumeCampaign(db, failing), { status: 'running', paused_reason: null })
    t.same(await pauseFailingCampaigns(db, RULES, new Date()), [], 'a fresh start after the resume')
    t.same(await pauseFailingCampaigns(db, RULES, new Date(Date.now() + 10 * 60_000)), [], 'dials older than the window count no more')
  })

  t.test(`${engine.name}: Exotel refusing the account (KYC, credentials) pauses at once; a finished campaign is left as it is`, async (t) => {
    const db = await migratedDatabase(t, engine)
    const refused = await campaignOf(db, 'Refused')
    await dialled(db, refused, 1, 'failed', 403)
    await dialled(db, refused, 2, 'queued')
    const [paused] = await pauseFailingCampaigns(db, RULES, new Date())
    t.match(paused, { id: refused, reason: /^Paused itself: Exotel refused the account: Exotel refused the call; the account may need KYC verification/ })

    const finished = await campaignOf(db, 'All failed')
    for (let n = 11; n <= 15; n++) await dialled(db, finished, n, 'failed')
    t.same(await pauseFailingCampaigns(db, RULES, new Date()), [], 'nothing left to dial: nothing to pause')
    t.match(await getCampaign(db, finished), { status: 'finished', paused_reason: null })

    const silent = await campaignOf(db, 'Failed, no reason given')
    for (let n = 21; n <= 25; n++) await dialled(db, silent, n, 'reported-failed')
    await dialled(db, silent, 26, 'queued')
    t.match(await pauseFailingCampaigns(db, RULES, new Date()), [{ id: silent, reason: 'Paused itself: 5 of its last 5 dials failed within 120 s. Resume it once that is mended.' }])
  })
}
