import t from 'tap'
import { exotelMediaStream } from '../../../lib/exotel/media-stream.js'
import { Playback } from '../../../lib/live-call/playback.js'

const sid = 'a'.repeat(32)
const format = { encoding: 'pcm16', sampleRate: 8000 } as const // 16 bytes a millisecond

function playback (aheadMs: number) {
  const sent: Array<{ at: number, event: string, bytes?: number, name?: string }> = []
  const start = Date.now()
  const player = new Playback({
    streamSid: sid,
    format,
    protocol: exotelMediaStream,
    aheadMs,
    send: (frame) => {
      const message = JSON.parse(frame)
      t.equal(message.stream_sid, sid)
      sent.push({ at: Date.now() - start, event: message.event, bytes: message.media && Buffer.from(message.media.payload, 'base64').length, name: message.mark?.name })
    }
  })
  return { player, sent }
}

async function until (check: () => boolean) {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5))
}

t.test('audio goes out in 200 ms frames, paced: never more than aheadMs ahead of what is playing', async (t) => {
  const { player, sent } = playback(300)
  player.play(Buffer.alloc(16_000)) // one second
  t.same(sent.map((frame) => frame.bytes), [3200, 3200], 'two frames at once: the second starts within 300 ms')
  t.ok(player.unplayedMs > 900, 'the rest is counted as unplayed')
  player.mark('said')
  await until(() => sent.length === 6)
  t.same(sent.map((frame) => frame.event), ['media', 'media', 'media', 'media', 'media', 'mark'])
  t.equal(sent[5]!.name, 'said')
  t.ok(sent[4]!.at >= 490, `the fifth frame waited until the third had played (${sent[4]!.at} ms)`)
  player.stop()
})

t.test('partial frames wait for more audio or a flush, which pads them', async (t) => {
  const { player, sent } = playback(10_000)
  player.play(Buffer.alloc(1000))
  player.play(Buffer.alloc(0))
  t.same(sent, [], 'less than a frame waits')
  player.play(Buffer.alloc(3000))
  t.same(sent.map((frame) => frame.bytes), [3200], 'a whole frame went; 800 bytes wait')
  player.flush()
  player.flush()
  t.same(sent.map((frame) => frame.bytes), [3200, 3200], 'the rest, padded to the 3 200-byte minimum')
})

t.test('clear drops what has not been sent, tells Exotel, and forgets marks; a reported mark moves the playhead', async (t) => {
  const { player, sent } = playback(300)
  player.play(Buffer.alloc(16_000))
  player.mark('greeting')
  player.clear()
  t.same(sent.map((frame) => frame.event), ['media', 'media', 'clear'])
  t.equal(player.unplayedMs, 0)
  player.played('greeting') // never sent: nothing to move

  player.play(Buffer.alloc(3200))
  player.mark('short')
  t.ok(player.unplayedMs > 150)
  player.played('short') // Exotel says it has played already: nothing is unplayed
  t.equal(player.unplayedMs, 0)
  player.play(Buffer.alloc(3200))
  t.equal(sent.at(-1)!.event, 'media', 'and the next audio goes at once')

  player.stop()
  player.play(Buffer.alloc(3200))
  player.mark('after')
  player.clear()
  t.equal(sent.at(-1)!.event, 'media', 'nothing goes out once stopped')
})
