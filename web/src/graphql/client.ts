import { ref, readonly } from 'vue'
import { createClient, type Client } from 'graphql-ws'

const TOKEN_KEY = 'aw.token'

const tokenRef = ref<string | null>(localStorage.getItem(TOKEN_KEY))
const connectedRef = ref(false)

/** Current bearer token (read-only; change it through setToken). */
export const token = readonly(tokenRef)
/** True while the subscription socket is open and acknowledged — drives the "live" indicator. */
export const connected = readonly(connectedRef)

let wsClient: Client | null = null

export function setToken(value: string | null): void {
  tokenRef.value = value
  if (value) localStorage.setItem(TOKEN_KEY, value)
  else localStorage.removeItem(TOKEN_KEY)
  // The socket authenticated with the old token in connection_init; a new
  // identity needs a new connection, and logout must not keep receiving data.
  disposeSocket()
}

export function disposeSocket(): void {
  if (!wsClient) return
  void wsClient.dispose()
  wsClient = null
  connectedRef.value = false
}

interface GraphQLErrorLike {
  message: string
  extensions?: { code?: string }
}

interface GraphQLResponse<T> {
  data?: T | null
  errors?: readonly GraphQLErrorLike[]
}

function errorFrom(errors: readonly GraphQLErrorLike[]): Error {
  return new Error(errors.map((e) => e.message).join('; ') || 'GraphQL error')
}

export async function request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' }
  if (tokenRef.value) headers.Authorization = `Bearer ${tokenRef.value}`

  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) })

  let body: GraphQLResponse<T> | null = null
  try {
    body = (await res.json()) as GraphQLResponse<T>
  } catch {
    // Non-JSON body (proxy error page, backend down) — fall through to the HTTP status.
  }

  const unauthenticated =
    res.status === 401 || body?.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') === true
  // An expired/revoked token should drop the user back to the login form rather than
  // leave every panel erroring; keep the token when there was none (e.g. a failed login).
  if (unauthenticated && tokenRef.value) setToken(null)

  if (body?.errors?.length) throw errorFrom(body.errors)
  if (!res.ok) throw new Error(`Request failed: HTTP ${res.status}`)
  if (!body?.data) throw new Error('Empty GraphQL response')
  return body.data
}

function socket(): Client {
  if (wsClient) return wsClient
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  wsClient = createClient({
    url: `${proto}//${location.host}/graphql`,
    // Evaluated on every (re)connect so a reconnect always carries the current token.
    connectionParams: () => ({ authorization: tokenRef.value ? `Bearer ${tokenRef.value}` : '' }),
    lazy: true,
    retryAttempts: Number.MAX_SAFE_INTEGER,
    // By default only CloseEvents are retried; a backend restart surfaces as a plain
    // connection error, and an ops dashboard should simply keep trying.
    shouldRetry: () => true,
    retryWait: async (retries) => {
      const ms = Math.min(1000 * 2 ** retries, 15000) + Math.random() * 500
      await new Promise((resolve) => setTimeout(resolve, ms))
    },
    on: {
      connected: () => (connectedRef.value = true),
      closed: () => (connectedRef.value = false),
    },
  })
  return wsClient
}

export function subscribe<T>(
  query: string,
  variables: Record<string, unknown> | undefined,
  onData: (data: T) => void,
  onError?: (error: Error) => void,
): () => void {
  const fail = (err: unknown) => {
    // The server ends live streams when the session expires or the account goes: back to the login form.
    const errors = Array.isArray(err) ? (err as GraphQLErrorLike[]) : []
    if (tokenRef.value && errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) setToken(null)
    if (!onError) return
    if (err instanceof Error) onError(err)
    else if (Array.isArray(err)) onError(errorFrom(err as GraphQLErrorLike[]))
    else if (err && typeof err === 'object' && 'reason' in err && (err as CloseEvent).reason)
      onError(new Error((err as CloseEvent).reason))
    else onError(new Error('Live updates disconnected'))
  }

  return socket().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) fail(result.errors)
        else if (result.data) onData(result.data)
      },
      error: fail,
      complete: () => {},
    },
  )
}
