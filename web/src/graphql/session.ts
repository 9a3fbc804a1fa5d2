// The signed-in session, held in memory only (OWASP ASVS V3: no token in Web Storage, where any script could
// read it). The access token is short-lived; the HttpOnly refresh cookie (path /auth) renews it through
// POST /auth/refresh, which rotates the cookie. Every caller shares the one refresh in flight: the server
// treats a second use of a rotated refresh token, after a few seconds' leeway, as theft and ends the session.
import { computed, ref } from 'vue'
import type { AuthPayload, User } from './types'

const tokenRef = ref<string | null>(null)
const userRef = ref<User | null>(null)

/** Who is signed in, or null. Updated by every refresh (a changed role or membership shows at once). */
export const sessionUser = computed(() => userRef.value)
const endedRef = ref<string | null>(null)
/** Why the session ended when it was not this tab's own logout (for the login form to say). */
export const sessionEnded = computed(() => endedRef.value)

/** Refresh this long before the access token expires (or at three quarters of a shorter lifetime). */
const REFRESH_LEAD_MS = 60_000
/** A request made this close to expiry (or within the last quarter of a shorter lifetime) refreshes first. */
const MIN_VALIDITY_MS = 20_000
const RETRY_MS = 10_000
const SESSION_HEADERS = { 'X-Requested-With': 'fetch' }

let expiresAt = 0
let lifetime = 0
let timer: ReturnType<typeof setTimeout> | undefined
let inFlight: Promise<string | null> | null = null
/** Bumped whenever the session starts or ends, so a refresh answered after a logout is dropped. */
let epoch = 0
const listeners = new Set<(token: string | null) => void>()

/** Called with the new token after a login or refresh, and with null when the session ends. */
export function onTokenChange(listener: (token: string | null) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** The `exp` of a JWT in epoch ms, or 0. Not verified: the server does that; this only plans the refresh. */
export function tokenExpiry(token: string): number {
  try {
    const part = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
    const payload = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '='))) as { exp?: unknown }
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0
  } catch {
    return 0
  }
}

function schedule(delay: number): void {
  clearTimeout(timer)
  timer = setTimeout(() => {
    refreshSession().catch(() => {
      // Offline or the server restarting: keep what we have and try again while the token may still work.
      if (tokenRef.value) schedule(RETRY_MS)
    })
  }, delay)
}

/** Holds the token and user of a login, an invitation link or a refresh, and plans the next refresh. */
export function startSession(payload: AuthPayload): void {
  const fresh = tokenRef.value === null
  if (fresh) epoch++
  endedRef.value = null
  tokenRef.value = payload.accessToken
  userRef.value = payload.user
  const now = Date.now()
  // Without a readable exp, refresh in a minute rather than never.
  expiresAt = tokenExpiry(payload.accessToken) || now + 2 * REFRESH_LEAD_MS
  lifetime = expiresAt - now
  schedule(Math.max(lifetime - Math.min(REFRESH_LEAD_MS, lifetime / 4), 1000))
  for (const l of listeners) l(payload.accessToken)
}

/** Forgets the session in this tab (the server side is ended by logout()); `reason` is shown at sign-in. */
export function endSession(reason: string | null = null): void {
  epoch++
  clearTimeout(timer)
  const had = tokenRef.value !== null
  endedRef.value = had ? reason : null
  tokenRef.value = null
  userRef.value = null
  expiresAt = 0
  if (had) for (const l of listeners) l(null)
}

/**
 * A new access token from the refresh cookie, or null when there is no live session (which ends it here
 * too). Throws on network errors. Concurrent callers get the same request.
 */
export function refreshSession(): Promise<string | null> {
  if (inFlight) return inFlight
  const started = epoch
  inFlight = (async () => {
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: SESSION_HEADERS,
      })
      // Logged out (or in as someone else) while this was in flight: its answer is no longer ours.
      if (epoch !== started) return tokenRef.value
      if (res.status === 401) {
        endSession('Your session has ended. Please sign in again.')
        return null
      }
      if (!res.ok) throw new Error(`Could not renew the session: HTTP ${res.status}`)
      const payload = (await res.json()) as AuthPayload
      startSession(payload)
      return payload.accessToken
    } finally {
      inFlight = null
    }
  })()
  return inFlight
}

/**
 * The token to send now: refreshed first when it is about to expire; during the refresh on page load, the
 * restored one. Null when signed out.
 */
export async function freshToken(): Promise<string | null> {
  if (!tokenRef.value) return inFlight ? inFlight.catch(() => null) : null
  if (expiresAt - Date.now() > Math.min(MIN_VALIDITY_MS, lifetime / 4)) return tokenRef.value
  return refreshSession().catch(() => tokenRef.value)
}

/** The server refused the token (e.g. the socket was closed for it): the next freshToken() refreshes. */
export function invalidateToken(): void {
  if (tokenRef.value) expiresAt = 0
}

/** Ends the session on the server (revoking the refresh cookie), then here. */
export async function logout(): Promise<void> {
  // Let a rotation in flight land first, so the cookie revoked is the newest one.
  await inFlight?.catch(() => null)
  try {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: SESSION_HEADERS })
  } catch {
    // Offline: the session ends here anyway; the server ends it when idle.
  }
  endSession()
}
