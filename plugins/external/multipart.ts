import multipart from '@fastify/multipart'
import fp from 'fastify-plugin'

/**
 * multipart/form-data bodies, read as streams by the routes that take files (customer and suppression uploads):
 * one file of at most UPLOAD_MAX_BYTES and a few small fields. A larger file is cut short, marked truncated.
 * plugins/app/uploads.ts reads them.
 */
export default fp(async function multipartPlugin (fastify) {
  await fastify.register(multipart, {
    limits: { fileSize: fastify.config.UPLOAD_MAX_BYTES, files: 1, fields: 10, fieldSize: 1024, parts: 20 }
  })
}, { name: 'multipart', dependencies: ['env'] })
