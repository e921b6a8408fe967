import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  CreateGroupCommand,
  ListUsersInGroupCommand,
  paginateListUsers,
  paginateListUsersInGroup,
  type AdminGetUserCommandOutput,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type UserType
} from '@aws-sdk/client-cognito-identity-provider'
import { toAuthError } from './cognito.js'
import { ROLES, roleOf, type Role } from './roles.js'

/** A person who may sign in, as the Users screen shows them. */
export interface PoolUser {
  username: string
  sub: string
  email: string
  role: Role | null
  enabled: boolean
  /** Cognito's word: CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD (invited, not signed in yet), ... */
  status: string
  created_at: Date
}

// Cognito always answers a user's sub and email (the pool's username attribute), status, creation date and flag.
const attribute = (attributes: AttributeType[] | undefined, name: string) => attributes!.find((a) => a.Name === name)!.Value!

function shown (user: UserType | AdminGetUserCommandOutput, attributes: AttributeType[] | undefined, role: Role | null): PoolUser {
  return {
    username: user.Username!,
    sub: attribute(attributes, 'sub'),
    email: attribute(attributes, 'email'),
    role,
    enabled: user.Enabled!,
    status: user.UserStatus!,
    created_at: user.UserCreateDate!
  }
}

/**
 * The administrator's operations on the user pool: its people, their roles (the groups `viewer`, `operator`,
 * `admin`), invitations and disabling. They need AWS credentials allowed the Admin* operations (README, "access").
 */
export class CognitoUsers {
  #groupsMade?: Promise<void>

  constructor (private readonly client: CognitoIdentityProviderClient, private readonly userPoolId: string) {}

  private async call<T> (request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw toAuthError(error, { UsernameExistsException: [409, 'An account with this email already exists'] })
    }
  }

  /** Makes the three role groups once, if the pool lacks them. */
  private async groups (): Promise<void> {
    this.#groupsMade ??= (async () => {
      for (const role of ROLES) {
        await this.client.send(new CreateGroupCommand({ UserPoolId: this.userPoolId, GroupName: role }))
          .catch((error: Error) => { if (error.name !== 'GroupExistsException') throw error })
      }
    })().catch((error) => {
      this.#groupsMade = undefined
      throw toAuthError(error)
    })
    await this.#groupsMade
  }

  private async membersOf (role: Role): Promise<UserType[]> {
    await this.groups()
    const users: UserType[] = []
    await this.call(async () => {
      for await (const page of paginateListUsersInGroup({ client: this.client }, { UserPoolId: this.userPoolId, GroupName: role })) {
        users.push(...page.Users!)
      }
    })
    return users
  }

  /** Everyone in the pool, with their role. */
  async list (): Promise<PoolUser[]> {
    const roles = new Map<string, Role>()
    for (const role of ROLES) for (const user of await this.membersOf(role)) roles.set(user.Username!, role)
    const users: UserType[] = []
    await this.call(async () => {
      for await (const page of paginateListUsers({ client: this.client }, { UserPoolId: this.userPoolId })) users.push(...page.Users!)
    })
    return users.map((user) => shown(user, user.Attributes, roles.get(user.Username!) ?? null)).sort((a, b) => a.email.localeCompare(b.email))
  }

  /** One person, by username or email. */
  async get (username: string): Promise<PoolUser> {
    const ids = { UserPoolId: this.userPoolId, Username: username }
    const user = await this.call(() => this.client.send(new AdminGetUserCommand(ids)))
    const groups = await this.call(() => this.client.send(new AdminListGroupsForUserCommand(ids)))
    return shown(user, user.UserAttributes, roleOf(groups.Groups!.map((group) => group.GroupName!)) ?? null)
  }

  /** Whether the pool has an administrator already. */
  async hasAdmin (): Promise<boolean> {
    await this.groups()
    const page = await this.call(() => this.client.send(new ListUsersInGroupCommand({ UserPoolId: this.userPoolId, GroupName: 'admin', Limit: 1 })))
    return page.Users!.length > 0
  }

  /** Invites a person: Cognito emails them a temporary password, which their first sign-in replaces. */
  async invite (email: string, role: Role): Promise<PoolUser> {
    await this.groups()
    const created = await this.call(() => this.client.send(new AdminCreateUserCommand({
      UserPoolId: this.userPoolId,
      Username: email,
      UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }],
      DesiredDeliveryMediums: ['EMAIL']
    })))
    const username = created.User!.Username!
    await this.setRole(username, role)
    return await this.get(username)
  }

  /** Puts the person in the one group of `role`, out of the others. */
  async setRole (username: string, role: Role): Promise<void> {
    await this.groups()
    await this.call(() => this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: role })))
    for (const other of ROLES.filter((r) => r !== role)) {
      await this.call(() => this.client.send(new AdminRemoveUserFromGroupCommand({
        UserPoolId: this.userPoolId, Username: username, GroupName: other
      })))
    }
  }

  /** Stops (or lets again) the person signing in; disabling also ends their sessions' refresh tokens. */
  async setEnabled (username: string, enabled: boolean): Promise<void> {
    const ids = { UserPoolId: this.userPoolId, Username: username }
    if (enabled) {
      await this.call(() => this.client.send(new AdminEnableUserCommand(ids)))
      return
    }
    await this.call(() => this.client.send(new AdminDisableUserCommand(ids)))
    await this.call(() => this.client.send(new AdminUserGlobalSignOutCommand(ids)))
  }
}
