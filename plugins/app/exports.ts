import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import type { ExportTable } from '../../lib/exports/results.js'
import { csvStream, xlsxStream } from '../../lib/exports/write.js'

declare module 'fastify' {
  interface FastifyReply {
    /** Sends `table` as a download named `<name>.<format>`, streamed as it is read. */
    sendExport (table: ExportTable, format: 'csv' | 'xlsx', name: string): FastifyReply
  }
}

const TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }

/** Exports of results (lib/exports) as file downloads. */
export default fp(async function exports (fastify) {
  fastify.decorateReply('sendExport', function (this: FastifyReply, table: ExportTable, format: 'csv' | 'xlsx', name: string) {
    const file = `${name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80)}.${format}` // names end in a word: never empty
    return this.type(TYPES[format]).header('content-disposition', `attachment; filename="${file}"`)
      .send(format === 'csv' ? csvStream(table, this.log) : xlsxStream(table, this.log))
  })
}, { name: 'exports' })
