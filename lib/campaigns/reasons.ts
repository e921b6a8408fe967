import type { Call } from '../calls/calls.js'
import type { CampaignRules } from './rules.js'

/** What a campaign's call list knows of one call, besides the call. */
export interface CallNews {
  outcome: string | null
  /** What the campaign queued after it (the `next-attempt` entry of its timeline). */
  next: { next: 'retry' | 'follow-up', n: number, of: number, at: string } | null
  /** The last time the calling window made it wait: until when. */
  deferredUntil: string | null
}

const SKIPPED: Record<string, string> = {
  suppressed: 'on the do-not-call list',
  'attempt-cap': 'not dialled: called too often lately (the attempt cap)',
  'outside-window': "not dialled before the campaign's end",
  canceled: 'not dialled: the campaign was canceled',
  erased: 'not dialled: the customer was deleted',
  'recently-final': 'not dialled: already settled recently (e.g. confirmed)',
  'missing-field': 'not dialled: missing a detail the assistant says'
}

const ENDED: Record<string, string> = { busy: 'busy', 'no-answer': 'not answered', failed: 'failed' }

/**
 * Where a call of a campaign stands, in words an operator reads at a glance: "busy: retry 2 of 3 at 14:05",
 * "on the do-not-call list", "outside calling hours until 09:00". Times are the campaign's calling window's.
 */
export function reasonOf (call: Pick<Call, 'status' | 'skip_reason' | 'error' | 'not_before'> & { follows?: string | null },
  news: CallNews, rules: CampaignRules, timezone: string, paused: boolean, now = new Date()): string {
  const at = (time: string | Date) => clockTime(new Date(time), timezone, now)
  const then = news.next
    ? `${news.next.next === 'retry' ? 'retry' : 'follow-up'} ${news.next.n} of ${news.next.of} at ${at(news.next.at)}`
    : undefined
  switch (call.status) {
    case 'queued': {
      if (paused) return 'waiting: the campaign is paused'
      const due = new Date(call.not_before)
      if (due.getTime() <= now.getTime()) return 'waiting to be dialled'
      if (news.deferredUntil && new Date(news.deferredUntil).getTime() === due.getTime()) return `outside calling hours until ${at(due)}`
      if (call.follows === 'retry') return `retry due at ${at(due)}`
      if (call.follows === 'follow-up') return `follow-up due at ${at(due)}`
      return `scheduled for ${at(due)}`
    }
    case 'initiated':
    case 'ringing':
      return 'ringing'
    case 'in-progress':
      return 'on the call'
    case 'canceled':
      return SKIPPED[call.skip_reason ?? 'canceled'] ?? 'not dialled'
    case 'completed':
      if (!news.outcome) return 'answered; no outcome recorded'
      return then ? `${news.outcome}: ${then}` : news.outcome
    default: {
      const ended = call.status === 'failed' && call.error ? `failed (${call.error})` : ENDED[call.status]!
      if (then) return `${ended}: ${then}`
      return rules.retry.retries > 0 && rules.retry.on.includes(call.status as 'busy') ? `${ended}: no retries left` : ended
    }
  }
}

/** "14:05" today, else "2 Dec 14:05", in `timezone`. */
export function clockTime (time: Date, timezone: string, now = new Date()): string {
  const day = (date: Date) => date.toLocaleDateString('en-GB', { timeZone: timezone })
  const hm = time.toLocaleTimeString('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  if (day(time) === day(now)) return hm
  return `${time.toLocaleDateString('en-GB', { timeZone: timezone, day: 'numeric', month: 'short' })} ${hm}`
}
