import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { useRouter } from 'vue-router'
import { request, subscribe } from '../graphql/client'
import {
  ACKNOWLEDGE_INCIDENT,
  APPROVE_INCIDENT,
  ASSIGN_INCIDENT,
  MERGE_INCIDENTS,
  SPLIT_INCIDENT,
  INCIDENT,
  INCIDENT_EXTRAS_QUERY,
  INCIDENT_UPDATED,
  REJECT_INCIDENT,
  REOPEN_INCIDENT,
  RESOLVE_INCIDENT,
  START_INCIDENT_WORK,
} from '../graphql/operations'
import type { Incident, IncidentHeader } from '../graphql/types'
import { coalesced } from './coalesce'
import { headerChanges, isCurrent, patchHeader, withExtras } from './incident-live'
import { useIncidentPages } from './useIncidentPages'

/**
 * One incident's detail page. The header comes by query and then live (events carry the header only); the timeline
 * and alerts come by page, newest first, and the newest page is read again when a header says they changed, merged
 * with the older pages already loaded. The SSM output and the correlation are read by query when they may differ.
 */
export function useIncident(id: Ref<string | null>) {
  const router = useRouter()
  const incident = ref<Incident | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  const actionError = ref<string | null>(null)
  const busy = ref(false)
  const { timeline, alerts } = useIncidentPages(() => id.value)

  let unsubscribe: (() => void) | null = null
  // The alerts this page is splitting off, while the split is under way.
  let splitting: Set<string> | null = null

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  const refreshExtras = coalesced(async () => {
    const current = id.value
    if (!current) return
    try {
      const data = await request<{
        incident: Pick<Incident, 'id' | 'execution' | 'correlation' | 'inhibitedCount'> | null
      }>(INCIDENT_EXTRAS_QUERY, { id: current })
      const shown = incident.value
      if (id.value === current && shown?.id === current && data.incident)
        incident.value = withExtras(shown, data.incident)
    } catch (e) {
      if (id.value === current) error.value = (e as Error).message
    }
  })

  /** A header from an event or a whole incident from a query or a mutation: patch it in, read again what changed. */
  function apply(next: IncidentHeader | Incident, whole: boolean): void {
    const shown = incident.value
    if (!isCurrent(next, shown)) {
      // Older than what a live event already showed: only the parts read by query are worth taking from it.
      if (whole && shown) void refreshExtras()
      return
    }
    incident.value = whole ? (next as Incident) : patchHeader(shown, next)
    // The first answer of the query: the pages are being read alongside it (loadAll).
    if (!shown && whole) return
    const changes = headerChanges(shown, next)
    if (changes.timeline) void timeline.refresh()
    if (changes.alertsLeft && splitting) alerts.remove(splitting)
    else if (changes.alertsLeft) {
      // Someone else split alerts off: loaded older pages may hold rows that are no longer this incident's.
      alerts.clear()
    }
    // A live header that says no save happened: the change was in rows the header does not count (alerts moved off by
    // a split, a recovery notification), so the newest alerts are read.
    if (changes.alerts || (!whole && !changes.timeline)) void alerts.refresh()
    // The router writes why each alert joined around the save that first showed the incident: until the page has
    // the reasons, each save may bring them.
    const reasons = !!shown?.correlation?.reasons.length
    if (!whole && (changes.extras || (changes.timeline && !reasons))) void refreshExtras()
  }

  async function load(current: string): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const data = await request<{ incident: Incident | null }>(INCIDENT, { id: current })
      // The selection may have changed while the request was in flight.
      if (id.value !== current) return
      if (data.incident) apply(data.incident, true)
      else error.value = 'Incident not found'
    } catch (e) {
      if (id.value === current) error.value = (e as Error).message
    } finally {
      if (id.value === current) loading.value = false
    }
  }

  function loadAll(current: string): void {
    void load(current)
    void timeline.refresh()
    void alerts.refresh()
  }

  watch(
    id,
    (current) => {
      stop()
      incident.value = null
      actionError.value = null
      timeline.clear()
      alerts.clear()
      if (!current) return
      // Subscribe before loading so no update between the query and the subscription is lost.
      unsubscribe = subscribe<{ incidentUpdated: IncidentHeader }>(
        INCIDENT_UPDATED,
        { id: current },
        (data) => {
          if (data.incidentUpdated.id === current && id.value === current) apply(data.incidentUpdated, false)
        },
        (e) => (error.value = e.message),
        { onResync: () => loadAll(current) },
      )
      loadAll(current)
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    stop()
    // Answers still in flight belong to a page no longer shown.
    timeline.clear()
    alerts.clear()
  })

  async function run(mutation: string, field: string, comment?: string, extra: object = {}): Promise<void> {
    const current = id.value
    if (!current || busy.value) return
    busy.value = true
    actionError.value = null
    try {
      const vars = { id: current, comment: comment?.trim() || null, ...extra }
      const data = await request<Record<string, Incident>>(mutation, vars)
      const updated = data[field]
      // The answer is the header and its extras: the loaded timeline and alert pages stay, and the newest are read.
      if (updated && id.value === current) apply(updated, true)
    } catch (e) {
      actionError.value = (e as Error).message
    } finally {
      busy.value = false
    }
  }

  async function split(alertIds: string[]): Promise<void> {
    const current = id.value
    if (!current || busy.value) return
    // Whichever comes first, the answer or the live header, says fewer alerts because of these.
    splitting = new Set(alertIds)
    try {
      await run(SPLIT_INCIDENT, 'splitIncident', undefined, { alertIds })
    } finally {
      splitting = null
    }
    if (actionError.value || id.value !== current) return
    // The alerts left the incident once the answer came (the live header can come first): read the page now.
    alerts.remove(alertIds)
    void alerts.refresh()
  }

  return {
    incident,
    loading,
    error,
    actionError,
    busy,
    timeline,
    alerts,
    reload: () => (id.value ? load(id.value) : Promise.resolve()),
    approve: (comment?: string) => run(APPROVE_INCIDENT, 'approveIncident', comment),
    reject: (comment?: string) => run(REJECT_INCIDENT, 'rejectIncident', comment),
    acknowledge: () => run(ACKNOWLEDGE_INCIDENT, 'acknowledgeIncident'),
    startWork: () => run(START_INCIDENT_WORK, 'startIncidentWork'),
    assign: (userId: string, comment?: string) => run(ASSIGN_INCIDENT, 'assignIncident', comment, { userId }),
    /** The comment is the resolution note. */
    resolve: (comment?: string) => run(RESOLVE_INCIDENT, 'resolveIncident', comment),
    reopen: (comment?: string) => run(REOPEN_INCIDENT, 'reopenIncident', comment),
    split,
    /** Merges this incident into `targetId`, then shows the target. */
    mergeInto: async (targetId: string) => {
      const current = id.value
      if (!current || busy.value) return
      busy.value = true
      actionError.value = null
      try {
        await request(MERGE_INCIDENTS, { targetId, sourceIds: [current] })
        await router.push({ name: 'incidents', params: { id: targetId } })
      } catch (e) {
        actionError.value = (e as Error).message
      } finally {
        busy.value = false
      }
    },
  }
}
