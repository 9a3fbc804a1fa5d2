// Your own sessions and password, and the audit log (api/graphql/types/{session,user,audit}.ts).

export const MY_SESSIONS = /* GraphQL */ `
  query MySessions {
    mySessions {
      id
      createdAt
      lastSeenAt
      expiresAt
      ip
      userAgent
      current
    }
  }
`

export const REVOKE_SESSION = /* GraphQL */ `
  mutation RevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`

export const LOGOUT_ALL = /* GraphQL */ `
  mutation LogoutAll {
    logoutAll
  }
`

export const CHANGE_PASSWORD = /* GraphQL */ `
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`

const AUDIT_ARGS = '$companyId: ID, $action: String, $actorEmail: String, $from: DateTime, $to: DateTime'
const AUDIT_VARS = 'companyId: $companyId, action: $action, actorEmail: $actorEmail, from: $from, to: $to'

export const AUDIT_LOG = /* GraphQL */ `
  query AuditLog(${AUDIT_ARGS}, $before: ID, $limit: Int) {
    auditLog(${AUDIT_VARS}, before: $before, limit: $limit) {
      id at companyId actorEmail action targetType targetId ip data
    }
  }
`

export const AUDIT_LOG_CSV = /* GraphQL */ `
  query AuditLogCsv(${AUDIT_ARGS}) { auditLogCsv(${AUDIT_VARS}) }
`
