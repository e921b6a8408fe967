// GET /health of the full app (every plugin, hook and serializer on the request path) against a bare Fastify
// route answering the same JSON, in the same run: the baseline later benchmarks reuse.
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app from '../app.js'
import { load, printTable } from './http-load.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

const bare = Fastify({ pluginTimeout: 0 })
bare.get('/health', async () => ({ success: true, status: 'ok', uptime_seconds: process.uptime() }))
const full = Fastify({ pluginTimeout: 0 })
full.register(fp(app), { env: { DATA_DIR: 'memory://', LOG_LEVEL: 'silent' } })

const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 })
const fullUrl = await full.listen({ host: '127.0.0.1', port: 0 })
try {
  const baseline = await load('bare Fastify route', `${bareUrl}/health`, SECONDS)
  const health = await load('app GET /health', `${fullUrl}/health`, SECONDS)
  const ready = await load('app GET /ready (database query)', `${fullUrl}/ready`, SECONDS)
  printTable(`GET /health, ${SECONDS} s each, 10 connections, loopback`, baseline, [health, ready])
} finally {
  await Promise.all([bare.close(), full.close()])
}
