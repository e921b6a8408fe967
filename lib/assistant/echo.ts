import { bytesPerSecond } from '../voice/format.js'
import type { Assistant, AssistantOutput, AssistantSession, CallContext } from './assistant.js'

/**
 * Plays the caller's audio straight back: a line test ("can you hear yourself?") and the benchmark's assistant.
 * Audio goes back as soon as it makes a whole frame (100 ms, and at least the stream's smallest frame).
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
