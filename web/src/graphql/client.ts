// The one GraphQL client: queries and mutations over HTTP, subscriptions over graphql-ws, both with the
// in-memory access token of session.ts. A request refused as UNAUTHENTICATED is retried once after a refresh;
// the socket authenticates with the token current at each (re)connect and is replaced after every refresh,
// so live streams never outlive the token they were opened with.
import { readonly, ref } from 'vue'
import { createClient, type Client } from 'graphql-ws'
import { errorFrom, GraphQLRequestError, hasCode, type GraphQLErrorLike } from './errors'
import { freshToken, invalidateToken, onTokenChange, refreshSession } from './session'

const connectedRef = ref(false)
const streamingRef = ref(0)
/** True while the subscription socket is open and acknowledged — drives the "live" indicator. */
export const connected = readonly(connectedRef)
/** How many live subscriptions the page holds (pages without any show no live indicator). */
export const streaming = readonly(streamingRef)

interface GraphQLResponse<T> {
  data?: T | null
  errors?: readonly GraphQLErrorLike[]
}

async function post<T>(
  query: string,
  variables: Record<string, unknown> | undefined,
  token: string | null,
): Promise<{ res: Response; body: GraphQLResponse<T> | null }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  const res = await fetch('/graphql', {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    body: JSON.stringify({ query, variables }),
  })
  try {
    return { res, body: (await res.json()) as GraphQLResponse<T> }
  } catch {
    // Non-JSON body (proxy error page, backend down) — the caller falls through to the HTTP status.
    return { res, body: null }
  }
}

export async function request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const token = await freshToken()
  let { res, body } = await post<T>(query, variables, token)
  // Refused before it ran (expired or revoked token): renew once and send it again.
  if (token && (res.status === 401 || hasCode(body?.errors, 'UNAUTHENTICATED'))) {
    const renewed = await refreshSession()
    if (!renewed) throw new GraphQLRequestError('Your session has ended; sign in again', 'UNAUTHENTICATED')
    ;({ res, body } = await post<T>(query, variables, renewed))
  }
  if (body?.errors?.length) throw errorFrom(body.errors)
  if (!res.ok) throw new GraphQLRequestError(`Request failed: HTTP ${res.status}`)
  if (!body?.data) throw new GraphQLRequestError('Empty GraphQL response')
  return body.data
}

// ---- subscriptions -------------------------------------------------------------------------------------

let wsClient: Client | null = null

function createSocket(): Client {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const client: Client = createClient({
    url: `${proto}//${location.host}/graphql`,
    // Evaluated on every (re)connect: a reconnect after sleep refreshes an expired token first.
    connectionParams: async () => {
      const token = await freshToken()
      if (!token) throw new Error('Signed out')
      return { authorization: `Bearer ${token}` }
    },
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
      connected: (_socket, _payload, wasRetry) => {
        if (client !== wsClient) return
        connectedRef.value = true
        // Back after a dropped connection: whatever happened meanwhile was not streamed.
        for (const sub of live) if (wasRetry || sub.resync) resync(sub)
      },
      closed: (event) => {
        if (client === wsClient) connectedRef.value = false
        // 4403: the server refused the token (expired, or its session ended): refresh before the retry.
        if ((event as CloseEvent | undefined)?.code === 4403) invalidateToken()
      },
    },
  })
  return client
}

function socket(): Client {
  wsClient ??= createSocket()
  return wsClient
}

interface Stream {
  stop: () => void
}

interface LiveSubscription {
  payload: { query: string; variables?: Record<string, unknown> }
  onData: (data: unknown) => void
  onError?: (error: Error) => void
  /** Called when the stream is back after a gap (reconnect, or a restart after its token ran out): reload. */
  onResync?: () => void
  /** Set when the stream ended and will be restarted: resync once the new socket is up. */
  resync: boolean
  current: Stream | null
  /** When the stream last recovered from UNAUTHENTICATED, so a session that keeps failing is not retried forever. */
  recoveredAt: number
}

const live = new Set<LiveSubscription>()

function resync(sub: LiveSubscription): void {
  sub.resync = false
  sub.onResync?.()
}

function toError(err: unknown): Error {
  if (err instanceof Error) return err
  if (Array.isArray(err)) return errorFrom(err as GraphQLErrorLike[])
  if (err && typeof err === 'object' && 'reason' in err && (err as CloseEvent).reason)
    return new Error((err as CloseEvent).reason)
  return new Error('Live updates disconnected')
}

async function fail(sub: LiveSubscription, stream: Stream, err: unknown): Promise<void> {
  // A stream retired by a socket swap may end with the old token; its replacement is already running.
  if (sub.current !== stream || !live.has(sub)) return
  const unauthenticated = Array.isArray(err) && hasCode(err as GraphQLErrorLike[], 'UNAUTHENTICATED')
  if (unauthenticated && Date.now() - sub.recoveredAt > 10_000) {
    sub.recoveredAt = Date.now()
    // The event that met the expired token was not delivered: reload once the stream is back.
    sub.resync = true
    // The server ended the stream with the token (expired or session revoked). A successful refresh swaps the
    // socket and restarts every stream; a failed one ends the session and the app shows the login form.
    const renewed = await refreshSession().catch(() => undefined)
    if (renewed) return
  }
  sub.onError?.(toError(err))
}

function start(sub: LiveSubscription, client: Client): Stream {
  const stream: Stream = { stop: () => {} }
  stream.stop = client.subscribe<unknown>(sub.payload, {
    next: (result) => {
      if (result.errors?.length) void fail(sub, stream, result.errors)
      else if (result.data) sub.onData(result.data)
    },
    error: (err) => void fail(sub, stream, err),
    complete: () => {},
  })
  return stream
}

export function subscribe<T>(
  query: string,
  variables: Record<string, unknown> | undefined,
  onData: (data: T) => void,
  onError?: (error: Error) => void,
  opts: { onResync?: () => void } = {},
): () => void {
  const sub: LiveSubscription = {
    payload: variables ? { query, variables } : { query },
    onData: onData as (data: unknown) => void,
    onError,
    onResync: opts.onResync,
    resync: false,
    current: null,
    recoveredAt: 0,
  }
  live.add(sub)
  streamingRef.value = live.size
  sub.current = start(sub, socket())
  return () => {
    live.delete(sub)
    streamingRef.value = live.size
    sub.current?.stop()
    sub.current = null
  }
}

export function disposeSocket(): void {
  for (const sub of live) {
    sub.current?.stop()
    sub.current = null
  }
  if (!wsClient) return
  void wsClient.dispose()
  wsClient = null
  connectedRef.value = false
}

/**
 * After a refresh: open a socket with the new token and restart every stream on it, then retire the old
 * streams once the new socket is up (make before break, so no update falls between the two; an update seen
 * twice is harmless).
 */
function swapSocket(): void {
  const old = wsClient
  wsClient = null
  if (!old) return
  if (!live.size) {
    void old.dispose()
    return
  }
  const next = socket()
  const retiring = [...live].map((sub) => {
    const previous = sub.current
    sub.current = start(sub, next)
    return previous
  })
  let done = false
  const retire = () => {
    if (done) return
    done = true
    offConnected()
    clearTimeout(fallback)
    for (const s of retiring) s?.stop()
    void old.dispose()
  }
  const offConnected = next.on('connected', () => setTimeout(retire, 1000))
  const fallback = setTimeout(retire, 30_000)
}

onTokenChange((token) => (token ? swapSocket() : disposeSocket()))
