import type { IncidentStatus, Role } from './graphql/types'

export const STATUS_LABELS: Record<IncidentStatus, string> = {
  new: 'New',
  acknowledged: 'Acknowledged',
  in_progress: 'In progress',
  reopened: 'Reopened',
  awaiting_approval: 'Awaiting approval',
  remediating: 'Remediating',
  escalated: 'Escalated',
  resolved: 'Resolved',
}

export const ROLE_LABELS: Record<Role, string> = {
  msp_admin: 'MSP admin',
  company_admin: 'Company admin',
  technician: 'Technician',
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' })

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d)
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })

export function fromNow(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return ''
  const diff = (Date.parse(iso) - now) / 1000
  if (Number.isNaN(diff)) return ''
  const abs = Math.abs(diff)
  if (abs < 60) return relative.format(Math.round(diff), 'second')
  if (abs < 3600) return relative.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return relative.format(Math.round(diff / 3600), 'hour')
  return relative.format(Math.round(diff / 86400), 'day')
}
