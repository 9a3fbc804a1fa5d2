// A tiny hash router: the dashboard keeps its place in the URL hash (#/companies/<id>/people), so a page can be
// linked and survives reload, and the server only ever serves index.html.
import { computed, ref } from 'vue'

const hash = ref(location.hash)
window.addEventListener('hashchange', () => (hash.value = location.hash))

export interface Route {
  /** Decoded path segments: "#/companies/c-1/assets" → ["companies", "c-1", "assets"] */
  path: string[]
  query: URLSearchParams
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export const route = computed<Route>(() => {
  const raw = hash.value.replace(/^#\/?/, '')
  const q = raw.indexOf('?')
  const path = q < 0 ? raw : raw.slice(0, q)
  return {
    path: path.split('/').filter(Boolean).map(decode),
    query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
  }
})

/** "#/companies/c%201" for the segments ["companies", "c 1"]. */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`
}

export function go(...segments: string[]): void {
  location.hash = href(...segments)
}

/** Navigates without a history entry (e.g. to drop a one-time token from the address bar). */
export function replace(...segments: string[]): void {
  history.replaceState(history.state, '', href(...segments))
  hash.value = location.hash
}

/** The query as "?a=1", or "" when it is empty: to carry a page's filters along a navigation. */
export function queryString(params: URLSearchParams = route.value.query): string {
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** Puts a page's filters in the hash's query (so a link shares them), keeping the path; empty values are left out. */
export function setQuery(values: Record<string, string>): void {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v)
  location.hash = href(...route.value.path) + queryString(params)
}
