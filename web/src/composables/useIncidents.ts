import { computed, onScopeDispose, ref, watch, type Ref } from 'vue'
import { request, subscribe } from '../graphql/client'
import { INCIDENTS, INCIDENTS_SEARCH, INCIDENTS_UPDATED } from '../graphql/operations'
import type { IncidentStatus, IncidentSummary, Severity } from '../graphql/types'

export interface IncidentFilters {
  status: IncidentStatus | ''
  severity: Severity | ''
  /** Searched on the server in the asset, the signature and the alerts' messages; '' lists as before. */
  text: string
}

// Same order as the server: open incidents first, then by priority, newest first.
function byPriority(a: IncidentSummary, b: IncidentSummary): number {
  return (
    Number(a.status === 'resolved') - Number(b.status === 'resolved') ||
    b.priorityScore - a.priorityScore ||
    Date.parse(b.createdAt) - Date.parse(a.createdAt)
  )
}

/** Whether a live update belongs in the list: a text search keeps what it found (the match may be an alert's
 * message, which the update does not carry) and takes in new incidents whose asset or signature match. */
function matches(incident: IncidentSummary, f: IncidentFilters, listed: boolean): boolean {
  const text = f.text.trim().toLowerCase()
  const found =
    !text ||
    listed ||
    incident.assetName.toLowerCase().includes(text) ||
    incident.signature.toLowerCase().includes(text)
  return found && (!f.status || incident.status === f.status) && (!f.severity || incident.severity === f.severity)
}

export function useIncidents(filters: Readonly<Ref<IncidentFilters>>, limit = 200) {
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
      const { status, severity, text } = filters.value
      const found = text.trim()
        ? await search(text.trim(), status, severity)
        : (
            await request<{ incidents: IncidentSummary[] }>(INCIDENTS, {
              status: status || null,
              severity: severity || null,
              limit,
            })
          ).incidents
      if (seq === loadSeq) items.value = found
    } catch (e) {
      if (seq === loadSeq) error.value = (e as Error).message
    } finally {
      if (seq === loadSeq) loading.value = false
    }
  }

  async function search(text: string, status: IncidentStatus | '', severity: Severity | '') {
    const data = await request<{ incidentsConnection: { edges: Array<{ node: IncidentSummary }> } }>(INCIDENTS_SEARCH, {
      filter: { text, status: status || null, severity: severity || null },
      first: limit,
    })
    return data.incidentsConnection.edges.map((e) => e.node)
  }

  function upsert(incident: IncidentSummary): void {
    const rest = items.value.filter((i) => i.id !== incident.id)
    // An update can move an incident out of the filtered view (e.g. it got resolved).
    const listed = rest.length !== items.value.length
    items.value = matches(incident, filters.value, listed) ? [...rest, incident] : rest
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
