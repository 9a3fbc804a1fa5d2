import { computed, ref } from 'vue'
import { request, setToken, token } from '../graphql/client'
import { LOGIN, ME } from '../graphql/operations'
import type { AuthPayload, User } from '../graphql/types'

// Module-level so every caller shares one session.
const user = ref<User | null>(null)
const restoring = ref(false)
let restored = false

async function restore(): Promise<void> {
  // A token survives reload via localStorage but the user object does not; fetch it once.
  if (restored || !token.value) return
  restored = true
  restoring.value = true
  try {
    const { me } = await request<{ me: User | null }>(ME)
    if (me) user.value = me
    else setToken(null)
  } catch {
    setToken(null)
  } finally {
    restoring.value = false
  }
}

async function login(email: string, password: string): Promise<void> {
  const { login } = await request<{ login: AuthPayload }>(LOGIN, { email, password })
  setToken(login.accessToken)
  user.value = login.user
  restored = true
}

function logout(): void {
  setToken(null)
  user.value = null
  restored = false
}

export function useAuth() {
  void restore()
  return {
    user: computed(() => (token.value ? user.value : null)),
    isAuthenticated: computed(() => !!token.value && !!user.value),
    restoring: computed(() => restoring.value),
    login,
    logout,
  }
}
