import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { subscribe } from '../graphql/client'
import { DECISION_PROGRESS, type DecisionProgress } from '../graphql/decision-operations'

/**
 * A model's reasoning for the incident while it answers (decisionProgress): null when nothing streams, the update
 * so far otherwise; cleared once the answer is done (the decision history then shows the saved decision).
 */
export function useDecisionProgress(incidentId: Ref<string>) {
  const live = ref<DecisionProgress | null>(null)
  let stop: (() => void) | null = null

  watch(
    incidentId,
    (id) => {
      stop?.()
      live.value = null
      stop = subscribe<{ decisionProgress: DecisionProgress }>(
        DECISION_PROGRESS,
        { incidentId: id },
        (data) => {
          const p = data.decisionProgress
          if (p.incidentId === incidentId.value) live.value = p.done ? null : p
        },
        // An incident with nothing streaming is not an error to show: the history says what was decided.
        () => (live.value = null),
      )
    },
    { immediate: true },
  )
  onScopeDispose(() => stop?.())
  return { live }
}
