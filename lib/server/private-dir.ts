import { chmod, mkdir } from 'node:fs/promises'

/**
 * Makes `dir` (and any missing parent) readable by the server's user only, however it was made before. The
 * embedded database writes its files world-writable and the Cognito emulator keeps its users' passwords in plain
 * text: the folder is what keeps everyone else out.
 */
export async function privateDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
}
