import { ref, type Ref } from 'vue'
import { request } from '../graphql/client'
import { AUDIT_LOG, AUDIT_LOG_CSV } from '../graphql/account-operations'
import type { AuditEntry, AuditFilters } from '../graphql/tenant-types'

const PAGE = 100

/** datetime-local ("2026-03-01T08:00") in the browser's zone → ISO, or null when empty. */
function iso(local: string): string | null {
  if (!local) return null
  const d = new Date(local)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** The audit log, newest first, a page at a time (keyset: entries before the last id seen), and its CSV export. */
export function useAuditLog(filters: Ref<AuditFilters>) {
  const entries = ref<AuditEntry[]>([])
  const loading = ref(false)
  const more = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  const variables = () => {
    const f = filters.value
    return {
      companyId: f.companyId || null,
      action: f.action.trim() || null,
      actorEmail: f.actorEmail.trim() || null,
      from: iso(f.from),
      to: iso(f.to),
    }
  }

  async function fetchPage(before: string | null): Promise<void> {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const data = await request<{ auditLog: AuditEntry[] }>(AUDIT_LOG, { ...variables(), before, limit: PAGE })
      if (mine !== seq) return
      entries.value = before ? [...entries.value, ...data.auditLog] : data.auditLog
      more.value = data.auditLog.length === PAGE
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  const search = () => fetchPage(null)
  const loadMore = () => fetchPage(entries.value.at(-1)?.id ?? null)

  /** The newest 1000 matching entries as a CSV file download. */
  async function exportCsv(): Promise<void> {
    const { auditLogCsv } = await request<{ auditLogCsv: string }>(AUDIT_LOG_CSV, variables())
    const url = URL.createObjectURL(new Blob([auditLogCsv], { type: 'text/csv;charset=utf-8' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `audit-log-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.csv`
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }

  return { entries, loading, more, error, search, loadMore, exportCsv }
}
