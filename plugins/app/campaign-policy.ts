import fp from 'fastify-plugin'
import { campaignPolicyOf, type CampaignPolicy } from '../../lib/calling-rules/policy.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Retries, the default calling window and the attempt cap, as the settings give them. */
    campaignPolicy: CampaignPolicy
  }
}

/** The campaign policy, read once from the settings: the batch routes, the webhooks and the dispatcher share it. */
export default fp(async function campaignPolicy (fastify) {
  fastify.decorate('campaignPolicy', campaignPolicyOf(fastify.config))
}, { name: 'campaign-policy', dependencies: ['env'] })
