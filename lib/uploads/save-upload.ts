import { createWriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { UploadError } from './upload-error.js'

/**
 * Writes an uploaded file to disk as it arrives. A body that breaks off or breaks the multipart format is the
 * client's error (400); a refusal with its own status keeps it; failing to write is the server's.
 */
export async function saveUpload (upload: Readable, file: string): Promise<void> {
  const sink = createWriteStream(file)
  try {
    await pipeline(upload, sink)
  } catch (error) {
    const { statusCode, syscall } = error as { statusCode?: number, syscall?: string }
    if (statusCode !== undefined || syscall !== undefined) throw error // a refusal, or our disk failing
    throw new UploadError(400, `The upload is not a complete multipart/form-data body (${(error as Error).message})`)
  }
}
