import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startLocalCognito } from '../lib/auth/cognito-local.js'
import type { SharedEmulator } from '../plugins/app/cognito.js'

let shared: Promise<SharedEmulator> | undefined

/**
 * One cognito-local emulator for every app a test process builds with DATA_DIR memory:// (starting one costs half
 * a second an app). Each app hears the codes sent while it runs, as it hears its own emulator's; users differ by
 * email. It stops when the test file ends.
 */
export async function sharedEmulator (): Promise<SharedEmulator> {
  shared ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vcm-cognito-shared-'))
    const listeners = new Set<(email: string, code: string, kind: 'code' | 'temporary-password') => void>()
    const emulator = await startLocalCognito({
      dir,
      onCode: (email, code, kind) => { for (const listener of listeners) listener(email, code, kind) }
    })
    t.teardown(async () => {
      await emulator.stop()
      rmSync(dir, { recursive: true, force: true })
    })
    return {
      ...emulator,
      onCode (listener) {
        listeners.add(listener)
        return () => { listeners.delete(listener) }
      }
    }
  })()
  return await shared
}
