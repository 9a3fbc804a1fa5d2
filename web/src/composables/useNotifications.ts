import { onScopeDispose, ref } from 'vue'
import { request, subscribe } from '../graphql/client'
import {
  MARK_NOTIFICATIONS_READ,
  NOTIFICATIONS,
  NOTIFICATION_ADDED,
  type AppNotification,
} from '../graphql/notification-operations'

/** The bell: the latest notifications and the unread count, kept live; subscribes before it loads. */
export function useNotifications() {
  const items = ref<AppNotification[]>([])
  const unread = ref(0)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    try {
      const data = await request<{ unreadNotificationCount: number; notifications: AppNotification[] }>(NOTIFICATIONS)
      // A live one may have arrived meanwhile: keep it if the snapshot predates it.
      const known = new Set(data.notifications.map((n) => n.id))
      const newer = items.value.filter((n) => !known.has(n.id) && !n.readAt)
      items.value = [...newer, ...data.notifications].slice(0, 20)
      unread.value = data.unreadNotificationCount + newer.length
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  const unsubscribe = subscribe<{ notificationAdded: AppNotification }>(
    NOTIFICATION_ADDED,
    undefined,
    (data) => {
      const n = data.notificationAdded
      if (items.value.some((x) => x.id === n.id)) return
      items.value = [n, ...items.value].slice(0, 20)
      if (!n.readAt) unread.value += 1
    },
    (e) => (error.value = e.message),
    { onResync: () => void load() },
  )
  void load()
  onScopeDispose(unsubscribe)

  async function markRead(ids: string[] | null): Promise<void> {
    await request(MARK_NOTIFICATIONS_READ, { ids })
    const now = new Date().toISOString()
    items.value = items.value.map((n) => (ids === null || ids.includes(n.id) ? { ...n, readAt: n.readAt ?? now } : n))
    unread.value = ids === null ? 0 : Math.max(unread.value - ids.length, 0)
  }

  return { items, unread, error, markRead, reload: load }
}
