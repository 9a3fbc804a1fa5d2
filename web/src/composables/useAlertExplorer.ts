import { ref } from 'vue'
import { request } from '../graphql/client'
import { ALERTS_CONNECTION, type AlertSearch, type Connection, type ExplorerAlert } from '../graphql/search-operations'

const PAGE = 50

/** The alert explorer's results: a first page for a search, then "Load more" from the page's end cursor. */
export function useAlertExplorer() {
  const alerts = ref<ExplorerAlert[]>([])
  const loading = ref(false)
  const more = ref(false)
  const error = ref<string | null>(null)
  let filter: AlertSearch = {}
  let cursor: string | null = null
  // A newer search wins over a slower older one.
  let seq = 0

  async function fetchPage(after: string | null): Promise<void> {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const data = await request<{ alertsConnection: Connection<ExplorerAlert> }>(ALERTS_CONNECTION, {
        filter,
        first: PAGE,
        after,
      })
      if (mine !== seq) return
      const page = data.alertsConnection
      const nodes = page.edges.map((e) => e.node)
      alerts.value = after ? [...alerts.value, ...nodes] : nodes
      more.value = page.pageInfo.hasNextPage
      cursor = page.pageInfo.endCursor
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  function search(f: AlertSearch): Promise<void> {
    filter = f
    cursor = null
    return fetchPage(null)
  }

  return { alerts, loading, more, error, search, loadMore: () => fetchPage(cursor) }
}
