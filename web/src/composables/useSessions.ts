import { onMounted, ref } from 'vue'
import { request } from '../graphql/client'
import { CHANGE_PASSWORD, LOGOUT_ALL, MY_SESSIONS, REVOKE_SESSION } from '../graphql/account-operations'
import { endSession } from '../graphql/session'
import type { SessionInfo } from '../graphql/tenant-types'

/** Your signed-in devices: list, end one, end all (this one included), and changing your password. */
export function useSessions() {
  const sessions = ref<SessionInfo[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      sessions.value = (await request<{ mySessions: SessionInfo[] }>(MY_SESSIONS)).mySessions
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }
  onMounted(load)

  async function revoke(id: string): Promise<void> {
    await request(REVOKE_SESSION, { id })
    await load()
  }

  /** Ends every session of yours; the server clears this device's cookie, and this tab signs out. */
  async function logoutEverywhere(): Promise<number> {
    const { logoutAll } = await request<{ logoutAll: number }>(LOGOUT_ALL)
    endSession()
    return logoutAll
  }

  /** Your other sessions end; this one stays. */
  async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await request(CHANGE_PASSWORD, { currentPassword, newPassword })
    await load()
  }

  return { sessions, loading, error, reload: load, revoke, logoutEverywhere, changePassword }
}
