import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LONGEST_TOKEN_MS } from '../../lib/auth/revocations.js'
import { recordAudit } from '../../lib/audit/audit.js'
import { ErrorRef } from '../../schemas/common.js'
import { EditUserBody, InviteBody, InviteResponse, UserList, UserParams, UserResponse } from '../../schemas/users.js'

const security = [{ bearerAuth: [] }]
const errors = { 400: ErrorRef, 401: ErrorRef, 403: ErrorRef }

/** The people who may sign in, for administrators: invite them, set their role, disable and enable them. */
const users: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/users', {
    config: { role: 'admin' },
    schema: {
      tags: ['users'],
      operationId: 'listUsers',
      summary: 'Everyone who may sign in, with their role',
      security,
      response: { 200: UserList, ...errors }
    }
  }, async () => ({ success: true as const, users: await fastify.cognitoUsers.list() }))

  fastify.post('/users', {
    config: { role: 'admin' },
    schema: {
      tags: ['users'],
      operationId: 'inviteUser',
      summary: 'Invite a person with a role: Cognito emails them a temporary password',
      description: 'Their first sign-in asks for a password of their own (POST /auth/login with `new_password`).',
      security,
      body: InviteBody,
      response: { 201: InviteResponse, ...errors, 409: ErrorRef }
    }
  }, async (request, reply) => {
    const user = await fastify.cognitoUsers.invite(request.body.email, request.body.role)
    await recordAudit(fastify.db, request.actor(), {
      action: 'user.invited', target_type: 'user', target_id: user.sub, summary: `Invited ${user.email} as ${request.body.role}`
    })
    return reply.code(201).send({
      success: true as const,
      message: `Invited ${user.email} as ${request.body.role}`,
      user,
      temporary_password_sent_to: fastify.cognito.codesSentTo
    })
  })

  fastify.patch('/users/:username', {
    config: { role: 'admin' },
    schema: {
      tags: ['users'],
      operationId: 'editUser',
      summary: 'Change a person\'s role, or disable or enable them',
      description: 'Takes effect on their next request on every instance: the tokens they hold are refused, and a ' +
        'refreshed one carries the new role (a disabled person cannot refresh). Nobody changes their own access.',
      security,
      params: UserParams,
      body: EditUserBody,
      response: { 200: UserResponse, ...errors, 404: ErrorRef, 409: ErrorRef }
    }
  }, async (request) => {
    const people = fastify.cognitoUsers
    const before = await people.get(request.params.username)
    if (before.sub === request.user!.sub) {
      throw fastify.httpErrors.conflict('Nobody may change their own role or disable themselves: ask another administrator')
    }
    const { role, enabled } = request.body
    if (role) await people.setRole(before.username, role)
    if (enabled !== undefined) await people.setEnabled(before.username, enabled)
    const changes = [
      ...(role && role !== before.role ? [`now ${role}`] : []),
      ...(enabled !== undefined && enabled !== before.enabled ? [enabled ? 'enabled' : 'disabled'] : [])
    ]
    const now = Date.now()
    await fastify.revocations.cutOff(before.sub, new Date(now), new Date(now + LONGEST_TOKEN_MS))
    const user = await people.get(before.username)
    if (changes.length > 0) {
      await recordAudit(fastify.db, request.actor(), {
        action: 'user.changed', target_type: 'user', target_id: user.sub, summary: `${user.email}: ${changes.join(', ')}`
      })
    }
    return {
      success: true as const,
      message: changes.length > 0 ? `${user.email}: ${changes.join(', ')}` : `${user.email}: nothing changed`,
      user
    }
  })
}

export default users
