import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

/**
 * Security headers on every answer (helmet). The dashboards keep their tokens in localStorage, as the deployed
 * client does, so a script injected into a page would be a token stolen: the Content-Security-Policy lets pages
 * run only this server's own script and style files (no inline code, no other origin), and no page be framed.
 * Also nosniff, no referrer, and HSTS in production (behind HTTPS). The API docs (/docs) send their own policy.
 */
export default fp(async function securityHeaders (fastify) {
  const production = fastify.config.NODE_ENV === 'production'
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // An assistant's preview plays from a data: URL.
        mediaSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        scriptSrcAttr: ["'none'"],
        // On plain HTTP (development, tests on loopback) there is nothing to upgrade to.
        upgradeInsecureRequests: production ? [] : null
      }
    },
    hsts: production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' }
  })
}, { name: 'helmet', dependencies: ['env'] })
