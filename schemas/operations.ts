import { Type } from '@sinclair/typebox'

export const Health = Type.Object({
  success: Type.Literal(true),
  status: Type.Literal('ok'),
  uptime_seconds: Type.Number({ description: 'Seconds since this instance started' })
})

export const Ready = Type.Object({
  success: Type.Literal(true),
  status: Type.Literal('ready'),
  database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')], {
    description: 'The engine in use: the embedded PGlite, or a PostgreSQL server'
  })
})

export const MetricsText = {
  description: 'The Prometheus text exposition format (version 0.0.4)',
  content: { 'text/plain': { schema: { type: 'string' } } }
}
