/** A refusal of an uploaded file (or of the upload itself), with the HTTP status it answers. */
export class UploadError extends Error {
  constructor (readonly statusCode: number, message: string) {
    super(message)
    this.name = 'UploadError'
  }
}
