import { onScopeDispose, ref } from 'vue'
import { request, subscribe } from '../graphql/client'
import { INCIDENTS_UPDATED } from '../graphql/operations'
import { APPROVE_QUEUED, PENDING_APPROVALS, REJECT_QUEUED, type PendingApproval } from '../graphql/approval-operations'

/** A burst of incident changes re-reads the queue once, at most this often. */
const RELOAD_EVERY_MS = 1_000

/** The approvals queue, re-read whenever an incident the caller may see changes (so it stays live). */
export function useApprovals() {
  const items = ref<PendingApproval[]>([])
  const loading = ref(true)
  const error = ref<string | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    try {
      const data = await request<{ pendingApprovals: PendingApproval[] }>(PENDING_APPROVALS)
      if (mine === seq) {
        items.value = data.pendingApprovals
        error.value = null
      }
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  let timer: ReturnType<typeof setTimeout> | null = null
  let lastLoad = 0
  function changed(): void {
    if (timer) return
    timer = setTimeout(
      () => {
        timer = null
        lastLoad = Date.now()
        void load()
      },
      Math.max(lastLoad + RELOAD_EVERY_MS - Date.now(), 0),
    )
  }
  // Subscribed before the first read, so a change while it loads still re-reads.
  const unsubscribe = subscribe(INCIDENTS_UPDATED, undefined, changed, (e) => (error.value = e.message), {
    onResync: changed,
  })
  onScopeDispose(() => {
    unsubscribe()
    if (timer) clearTimeout(timer)
  })
  lastLoad = Date.now()
  void load()

  /** Approves or rejects; the entry leaves the queue at once and the re-read confirms it. */
  async function decide(item: PendingApproval, approve: boolean, comment?: string): Promise<void> {
    await request(approve ? APPROVE_QUEUED : REJECT_QUEUED, { id: item.incident.id, comment: comment || null })
    items.value = items.value.filter((i) => i.incident.id !== item.incident.id)
    await load()
  }

  return { items, loading, error, reload: load, decide }
}
