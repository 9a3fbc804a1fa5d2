// The bell and notification preferences (api/graphql/types/notification.ts).
const FIELDS = 'id kind title body severity companyId incidentId createdAt readAt'

export const NOTIFICATIONS = /* GraphQL */ `
  query Notifications { unreadNotificationCount notifications(limit: 20) { ${FIELDS} } }
`
export const NOTIFICATION_ADDED = /* GraphQL */ `
  subscription NotificationAdded { notificationAdded { ${FIELDS} } }
`
export const MARK_NOTIFICATIONS_READ = /* GraphQL */ `
  mutation MarkNotificationsRead($ids: [ID!]) {
    markNotificationsRead(ids: $ids)
  }
`
export const NOTIFICATION_PREFERENCES = /* GraphQL */ `
  query NotificationPreferences {
    myNotificationPreferences {
      email
      minSeverity
    }
  }
`
export const SET_NOTIFICATION_PREFERENCES = /* GraphQL */ `
  mutation SetNotificationPreferences($email: Boolean!, $minSeverity: Severity) {
    setMyNotificationPreferences(email: $email, minSeverity: $minSeverity) {
      email
      minSeverity
    }
  }
`

export interface AppNotification {
  id: string
  kind: string
  title: string
  body: string
  severity: string | null
  companyId: string
  incidentId: string | null
  createdAt: string
  readAt: string | null
}

export interface NotificationPreferences {
  email: boolean
  minSeverity: 'critical' | 'high' | 'medium' | 'low' | null
}
