import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fp from 'fastify-plugin'
import { UploadError } from '../../lib/uploads/upload-error.js'
import { FileReader, type OpenedFile } from '../../lib/uploads/file-reader.js'
import { saveUpload } from '../../lib/uploads/save-upload.js'

/** An uploaded file, saved and opened: its name, what it is, and its records (parsed off the main thread). */
export interface UploadedFile extends OpenedFile {
  fileName: string
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Saves the file of the multipart field "file" to a temporary folder, opens it for `use`, and removes it after.
     * Refused with 415, 400 or 413 (in the API's words) when there is no such file, it is too big, or it is not a
     * CSV file or workbook; its records are refused as they are read when they break the limits on cells and rows.
     */
    withUploadedFile<T> (use: (file: UploadedFile) => Promise<T>): Promise<T>
  }
}

/**
 * `request.withUploadedFile`: the one way a route receives a file (customer and suppression uploads), from the
 * multipart body plugins/external/multipart.ts reads. A file larger than UPLOAD_MAX_BYTES fails with 413.
 */
export default fp(async function uploads (fastify) {
  const { UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, UPLOAD_MAX_CELL_CHARS, UPLOAD_MAX_EXPANDED_BYTES } = fastify.config
  const reader = new FileReader({
    maxCellChars: UPLOAD_MAX_CELL_CHARS, maxRecords: UPLOAD_MAX_ROWS + 1, maxExpandedBytes: UPLOAD_MAX_EXPANDED_BYTES
  })
  fastify.addHook('onClose', async () => await reader.close())
  const sizeLimit = UPLOAD_MAX_BYTES >= 1024 * 1024
    ? `${Math.round(UPLOAD_MAX_BYTES / 1024 / 1024 * 10) / 10} MB`
    : `${Math.ceil(UPLOAD_MAX_BYTES / 1024)} KB`
  fastify.decorateRequest('withUploadedFile', async function <T> (this: import('fastify').FastifyRequest,
    use: (file: UploadedFile) => Promise<T>): Promise<T> {
    if (!this.isMultipart()) {
      throw new UploadError(415, 'Send the file as multipart/form-data, in a field named "file"')
    }
    const part = await this.file().catch((error: Error & { statusCode?: number }) => {
      throw error.statusCode === 413 // past the limits on parts and fields
        ? new UploadError(413, 'The form has too many fields: send only the file, in a field named "file"')
        : new UploadError(400, `The upload is not multipart/form-data that can be read (${error.message})`)
    })
    if (!part) throw new UploadError(400, 'No file uploaded: send it in a multipart field named "file"')
    if (part.filename.includes('\u0000')) throw new UploadError(400, 'The file name holds a NUL character')
    if (part.filename.length > 255) throw new UploadError(400, 'The file name is longer than 255 characters')
    // On disk first, so that a slow upload holds no database transaction open; memory stays flat.
    const dir = await mkdtemp(path.join(tmpdir(), 'vcm-upload-'))
    try {
      const file = path.join(dir, 'upload')
      await saveUpload(part.file, file)
      // At the limit the stream just ends early, marked truncated.
      if (part.file.truncated) throw new UploadError(413, `The file is larger than the ${sizeLimit} limit`)
      // Form fields beside the file are not understood: refused, not ignored (those sent after the file as well,
      // when they have arrived by the time the file has been read).
      const unknown = Object.keys(part.fields).find((name) => name !== part.fieldname)
      if (unknown) throw new UploadError(400, `body has no property '${unknown}': send only the file, in a field named "file"`)
      return await use({ fileName: part.filename, ...await reader.open(file) })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
}, { name: 'uploads', dependencies: ['env', 'multipart'] })
