import { bytesPerSecond } from '../voice/format.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'

/**
 * Most of the caller's voice waiting to be played back: past it, what they say is skipped until the wait is shorter.
 * With a frame on top it stays under the default MEDIA_SEND_AHEAD_MS (400), so each echo is sent as it is made.
 */
export const ECHO_MAX_BEHIND_MS = 300

/**
 * Plays the caller's audio straight back: a line test ("can you hear yourself?") and the benchmark's assistant.
 * Audio goes back as soon as it makes a whole frame (100 ms, and at least the stream's smallest frame). Audio comes
 * in exactly as fast as it plays, so a wait that built up once (the frames held while the stream started) would
 * never shrink: past ECHO_MAX_BEHIND_MS behind, the caller's audio is skipped until the echo has caught up.
 */
export class EchoAssistant implements Assistant {
  readonly name = 'echo'

  start (context: CallContext, output: AssistantOutput): AssistantSession {
    const frameBytes = Math.max(context.minFrameBytes, bytesPerSecond(context.format) / 10)
    let held: Buffer[] = []
    let heldBytes = 0
    return {
      audio (chunk) {
        held.push(chunk)
        heldBytes += chunk.length
        if (heldBytes < frameBytes) return
        if (output.unplayedMs <= ECHO_MAX_BEHIND_MS) output.play(held.length === 1 ? chunk : Buffer.concat(held))
        output.flush()
        held = []
        heldBytes = 0
      },
      dtmf (digit) { output.transcript('caller', `(pressed ${digit})`) },
      marked () {},
      end () {}
    }
  }
}
