import { ref, shallowRef } from 'vue'
import { coalesced } from './coalesce'

export interface ListPage<T> {
  items: T[]
  endCursor: string | null
  hasNextPage: boolean
}

// How many pages a refresh reads to find where the loaded list starts before it gives up and shows the newest page
// alone: a burst of more new rows than this never leaves a silent gap between new and loaded rows.
const CATCH_UP_PAGES = 4

/**
 * A list read by cursor pages, newest first: the newest page, older pages on demand ("Load older"), and refreshes
 * that fetch the newest page again and merge it by key, keeping the older pages already loaded. One refresh is in
 * flight at a time (coalesced); an answer for a list since cleared is dropped.
 */
export function usePagedList<T>(fetchPage: (after: string | null) => Promise<ListPage<T>>, key: (item: T) => string) {
  const items = shallowRef<T[]>([])
  const hasMore = ref(false)
  const loadingOlder = ref(false)
  const error = ref<string | null>(null)
  let cursor: string | null = null
  // Bumped by clear(): answers for an older generation belong to a list no longer shown.
  let generation = 0

  function replace(list: T[], page: ListPage<T>): void {
    items.value = list
    cursor = page.endCursor
    hasMore.value = page.hasNextPage
    error.value = null
  }

  async function refreshOnce(): Promise<void> {
    const mine = generation
    try {
      const fetched: T[] = []
      const known = new Set(items.value.map(key))
      let after: string | null = null
      for (let n = 1; ; n++) {
        const page = await fetchPage(after)
        if (mine !== generation) return
        fetched.push(...page.items)
        // What was read holds the whole list, or nothing was loaded: take it as is (this also drops rows that left).
        if (!page.hasNextPage || known.size === 0) return replace(fetched, page)
        if (page.items.some((i) => known.has(key(i)))) break
        if (n >= CATCH_UP_PAGES) return replace(fetched, page)
        after = page.endCursor
      }
      // The loaded rows the newest pages did not bring again are older ones: they stay, after the fresh ones.
      const fresh = new Set(fetched.map(key))
      items.value = [...fetched, ...items.value.filter((i) => !fresh.has(key(i)))]
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = (e as Error).message
    }
  }

  async function loadOlder(): Promise<void> {
    if (!hasMore.value || loadingOlder.value) return
    const mine = generation
    loadingOlder.value = true
    try {
      const page = await fetchPage(cursor)
      if (mine !== generation) return
      const have = new Set(items.value.map(key))
      items.value = [...items.value, ...page.items.filter((i) => !have.has(key(i)))]
      cursor = page.endCursor
      hasMore.value = page.hasNextPage
      error.value = null
    } catch (e) {
      if (mine === generation) error.value = (e as Error).message
    } finally {
      if (mine === generation) loadingOlder.value = false
    }
  }

  /** Empties the list (another incident is shown); answers still in flight are dropped. */
  function clear(): void {
    generation++
    items.value = []
    cursor = null
    hasMore.value = false
    loadingOlder.value = false
    error.value = null
  }

  /** Drops rows that left the list (e.g. alerts split off) without reading it again. */
  function remove(keys: Iterable<string>): void {
    const gone = new Set(keys)
    items.value = items.value.filter((i) => !gone.has(key(i)))
  }

  return { items, hasMore, loadingOlder, error, refresh: coalesced(refreshOnce), loadOlder, clear, remove }
}

export type PagedList<T> = ReturnType<typeof usePagedList<T>>
