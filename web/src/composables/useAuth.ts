import { computed, ref } from 'vue'
import { request } from '../graphql/client'
import { LOGIN, SET_PASSWORD_WITH_LINK } from '../graphql/operations'
import { logout as endServerSession, refreshSession, sessionUser, startSession } from '../graphql/session'
import type { AuthPayload } from '../graphql/types'

// Module-level so every caller shares one session.
const restoring = ref(false)
let restored = false

/** On page load: the refresh cookie, if any, brings the session back (the access token lives in memory only). */
async function restore(): Promise<void> {
  if (restored) return
  restored = true
  restoring.value = true
  try {
    await refreshSession()
  } catch {
    // Server unreachable: show the login form; signing in tries again.
  } finally {
    restoring.value = false
  }
}

async function login(email: string, password: string): Promise<void> {
  const { login } = await request<{ login: AuthPayload }>(LOGIN, { email, password })
  startSession(login)
}

/** An invitation or password-reset link: sets the password and signs in. */
async function setPasswordWithLink(token: string, password: string): Promise<void> {
  const { setPasswordWithLink } = await request<{ setPasswordWithLink: AuthPayload }>(SET_PASSWORD_WITH_LINK, {
    token,
    password,
  })
  startSession(setPasswordWithLink)
}

export function useAuth() {
  void restore()
  return {
    user: sessionUser,
    isAuthenticated: computed(() => sessionUser.value !== null),
    restoring: computed(() => restoring.value),
    login,
    setPasswordWithLink,
    logout: endServerSession,
  }
}
