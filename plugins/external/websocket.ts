import websocket from '@fastify/websocket'
import fp from 'fastify-plugin'

/** WebSocket routes (`{ websocket: true }`): the live-call media stream. Frames over 1 MB are refused. */
export default fp(async function websocketPlugin (fastify) {
  await fastify.register(websocket, { options: { maxPayload: 1024 * 1024 } })
}, { name: 'websocket' })
