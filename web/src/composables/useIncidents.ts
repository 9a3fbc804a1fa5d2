import { computed, onScopeDispose, ref, watch, type Ref } from 'vue'
import { request, subscribe } from '../graphql/client'
import { INCIDENTS, INCIDENTS_UPDATED } from '../graphql/operations'
import type { IncidentStatus, IncidentSummary, Severity } from '../graphql/types'

export interface IncidentFilters {
  status: IncidentStatus | ''
  severity: Severity | ''
}

// Same order as the server: open incidents first, then by priority, newest first.
function byPriority(a: IncidentSummary, b: IncidentSummary): number {
  return (
    Number(a.status === 'resolved') - Number(b.status === 'resolved') ||
    b.priorityScore - a.priorityScore ||
    Date.parse(b.createdAt) - Date.parse(a.createdAt)
  )
}

function matches(incident: IncidentSummary, f: IncidentFilters): boolean {
  return (!f.status || incident.status === f.status) && (!f.severity || incident.severity === f.severity)
}

export function useIncidents(filters: Ref<IncidentFilters>, limit = 200) {
  const items = ref<IncidentSummary[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)

  // Ignore responses from a superseded load when the filters change quickly.
  let loadSeq = 0

  async function load(): Promise<void> {
    const seq = ++loadSeq
    loading.value = true
    error.value = null
    try {
      const { status, severity } = filters.value
      const data = await request<{ incidents: IncidentSummary[] }>(INCIDENTS, {
        status: status || null,
        severity: severity || null,
        limit,
      })
      if (seq === loadSeq) items.value = data.incidents
    } catch (e) {
      if (seq === loadSeq) error.value = (e as Error).message
    } finally {
      if (seq === loadSeq) loading.value = false
    }
  }

  function upsert(incident: IncidentSummary): void {
    const rest = items.value.filter((i) => i.id !== incident.id)
    // An update can move an incident out of the filtered view (e.g. it got resolved).
    items.value = matches(incident, filters.value) ? [...rest, incident] : rest
  }

  // One unfiltered subscription; filtering happens client-side in upsert.
  const unsubscribe = subscribe<{ incidentUpdated: IncidentSummary }>(
    INCIDENTS_UPDATED,
    undefined,
    (data) => upsert(data.incidentUpdated),
    (e) => (error.value = e.message),
    { onResync: () => void load() },
  )
  onScopeDispose(unsubscribe)

  watch(filters, load, { deep: true, immediate: true })

  return {
    incidents: computed(() => [...items.value].sort(byPriority)),
    loading,
    error,
    reload: load,
  }
}
