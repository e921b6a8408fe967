// A program that uses the API as a consumer would, through a client generated from the OpenAPI document:
// test/app/openapi.test.ts generates `./generated/api.ts` (openapi-typescript), type-checks this file against it,
// then runs it against the app. It is outside the project's tsconfig because its types exist only in that test.
import createClient from 'openapi-fetch'
import type { paths } from './generated/api.js'

export async function consume (baseUrl: string, accessToken: string, csv: string) {
  const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${accessToken}` } })

  // Upload a customer file: multipart, one field named "file".
  const uploaded = await api.POST('/api/upload-customers', {
    body: { file: new Blob([csv], { type: 'text/csv' }) },
    bodySerializer: (body) => {
      const form = new FormData()
      form.set('file', body.file, 'customers.csv')
      return form
    }
  })
  if (!uploaded.data) throw new Error(uploaded.error?.message)
  const uploadId: string = uploaded.data.upload_id

  // List customers without paging parameters (limit and offset have defaults).
  const listed = await api.GET('/api/customers')
  if (!listed.data) throw new Error(listed.error?.message)
  const names: Array<string | null> = listed.data.customers.map((customer) => customer.name)

  // Follow the live events while a campaign starts.
  const events = await api.GET('/api/events', { parseAs: 'stream' })
  if (!events.response.ok || !events.response.body) throw new Error(`events: ${events.response.status}`)
  const reader = events.response.body.pipeThrough(new TextDecoderStream()).getReader()

  // Call everyone that upload wrote.
  const triggered = await api.POST('/api/trigger-bulk-calls', { body: { filter: { upload_id: uploadId } } })
  if (triggered.error) throw new Error(triggered.error.message)
  const batchId = triggered.response.status === 202 && 'batch_id' in triggered.data ? triggered.data.batch_id : undefined

  // Read the stream until the batch's first event has come.
  let text = ''
  while (!text.includes('event: batch')) {
    const { value, done } = await reader.read()
    if (done) break
    text += value
  }
  await reader.cancel()
  return { uploadId, names, batchId, events: text }
}
