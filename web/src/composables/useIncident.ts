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
  INCIDENT_UPDATED,
  REJECT_INCIDENT,
  REOPEN_INCIDENT,
  RESOLVE_INCIDENT,
  START_INCIDENT_WORK,
} from '../graphql/operations'
import type { Incident } from '../graphql/types'

export function useIncident(id: Ref<string | null>) {
  const router = useRouter()
  const incident = ref<Incident | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  const actionError = ref<string | null>(null)
  const busy = ref(false)

  let unsubscribe: (() => void) | null = null

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  async function load(current: string): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const data = await request<{ incident: Incident | null }>(INCIDENT, { id: current })
      // The selection may have changed while the request was in flight.
      if (id.value !== current) return
      // A live update may have landed first; don't overwrite it with an older snapshot.
      const live = incident.value
      if (!live || !data.incident || Date.parse(live.updatedAt) <= Date.parse(data.incident.updatedAt))
        incident.value = data.incident
      if (!data.incident) error.value = 'Incident not found'
    } catch (e) {
      if (id.value === current) error.value = (e as Error).message
    } finally {
      if (id.value === current) loading.value = false
    }
  }

  watch(
    id,
    (current) => {
      stop()
      incident.value = null
      actionError.value = null
      if (!current) return
      // Subscribe before loading so no update between the query and the subscription is lost.
      unsubscribe = subscribe<{ incidentUpdated: Incident }>(
        INCIDENT_UPDATED,
        { id: current },
        (data) => {
          if (data.incidentUpdated.id === current) incident.value = data.incidentUpdated
        },
        (e) => (error.value = e.message),
        { onResync: () => void load(current) },
      )
      void load(current)
    },
    { immediate: true },
  )
  onScopeDispose(stop)

  async function run(mutation: string, field: string, comment?: string, extra: object = {}): Promise<void> {
    const current = id.value
    if (!current || busy.value) return
    busy.value = true
    actionError.value = null
    try {
      const vars = { id: current, comment: comment?.trim() || null, ...extra }
      const data = await request<Record<string, Incident>>(mutation, vars)
      const updated = data[field]
      if (updated && id.value === current) incident.value = updated
    } catch (e) {
      actionError.value = (e as Error).message
    } finally {
      busy.value = false
    }
  }

  return {
    incident,
    loading,
    error,
    actionError,
    busy,
    reload: () => (id.value ? load(id.value) : Promise.resolve()),
    approve: (comment?: string) => run(APPROVE_INCIDENT, 'approveIncident', comment),
    reject: (comment?: string) => run(REJECT_INCIDENT, 'rejectIncident', comment),
    acknowledge: () => run(ACKNOWLEDGE_INCIDENT, 'acknowledgeIncident'),
    startWork: () => run(START_INCIDENT_WORK, 'startIncidentWork'),
    assign: (userId: string, comment?: string) => run(ASSIGN_INCIDENT, 'assignIncident', comment, { userId }),
    /** The comment is the resolution note. */
    resolve: (comment?: string) => run(RESOLVE_INCIDENT, 'resolveIncident', comment),
    reopen: (comment?: string) => run(REOPEN_INCIDENT, 'reopenIncident', comment),
    split: (alertIds: string[]) => run(SPLIT_INCIDENT, 'splitIncident', undefined, { alertIds }),
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
