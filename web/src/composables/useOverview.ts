import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { request, subscribe } from '../graphql/client'
import { INCIDENTS_UPDATED } from '../graphql/operations'
import { OVERVIEW, type Overview } from '../graphql/overview-operations'

export interface OverviewFilters {
  /** '' = every company the caller may see. */
  companyId: string
  /** How far back from now. */
  hours: number
}

/** A burst of incident changes reloads the figures once, at most this often. */
export const RELOAD_EVERY_MS = 5_000

/** The overview for the filters, reloaded (at most every 5 s) while incidents change. */
export function useOverview(filters: Ref<OverviewFilters>) {
  const overview = ref<Overview | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    error.value = null
    const to = new Date()
    const from = new Date(to.getTime() - filters.value.hours * 3_600_000)
    try {
      const data = await request<{ overview: Overview }>(OVERVIEW, {
        companyId: filters.value.companyId || null,
        from: from.toISOString(),
        to: to.toISOString(),
      })
      if (mine === seq) overview.value = data.overview
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  // Subscribed before the first load, so a change while it loads still reloads.
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastLoad = 0
  function changed(): void {
    if (timer) return
    const wait = Math.max(lastLoad + RELOAD_EVERY_MS - Date.now(), 0)
    timer = setTimeout(() => {
      timer = null
      lastLoad = Date.now()
      void load()
    }, wait)
  }
  const unsubscribe = subscribe(INCIDENTS_UPDATED, undefined, changed, (e) => (error.value = e.message), {
    onResync: changed,
  })
  onScopeDispose(() => {
    unsubscribe()
    if (timer) clearTimeout(timer)
  })

  watch(
    filters,
    () => {
      lastLoad = Date.now()
      void load()
    },
    { deep: true, immediate: true },
  )

  return { overview, loading, error, reload: load }
}
