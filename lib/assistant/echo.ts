import { bytesPerSecond, MIN_CHUNK } from '../exotel/media-codec.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'

/**
 * Plays the caller's audio straight back: a line test ("can you hear yourself?") and the benchmark's assistant.
 * Audio goes back as soon as it makes a frame Exotel accepts (100 ms, 3 200 bytes at least).
 */
export class EchoAssistant implements Assistant {
  readonly name = 'echo'

  start (context: CallContext, output: AssistantOutput): AssistantSession {
    const frameBytes = Math.max(MIN_CHUNK, bytesPerSecond(context.format) / 10)
    let held: Buffer[] = []
    let heldBytes = 0
    return {
      audio (chunk) {
        held.push(chunk)
        heldBytes += chunk.length
        if (heldBytes < frameBytes) return
        output.play(held.length === 1 ? chunk : Buffer.concat(held))
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
