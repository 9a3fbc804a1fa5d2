// The Settings tab's paging part as text: business hours, ack timeout, chat webhooks and maintenance windows, and
// back to settings. Lines that do not parse are problems on their field, before anything is sent.
import type { FieldProblem } from '../../graphql/errors'
import type { CompanySettings, MaintenanceWindow, Matcher } from '../../graphql/tenant-types'

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

export interface PagingForm {
  /** Empty: the SLA clock runs around the clock. */
  businessDays: string[]
  businessStart: string
  businessEnd: string
  ackTimeoutMinutes: string
  /** One per line: name | slack or teams | URL, or "saved …" to keep the stored URL */
  webhooks: string
  /** One per line: name | days | HH:MM-HH:MM | matchers (optional, "field op value; …") */
  maintenance: string
}

export function toPagingForm(s: CompanySettings): PagingForm {
  const hours = s.sla?.businessHours
  return {
    businessDays: hours?.days ?? [],
    businessStart: hours?.start ?? '09:00',
    businessEnd: hours?.end ?? '17:00',
    ackTimeoutMinutes: s.onCall?.ackTimeoutMinutes === undefined ? '' : String(s.onCall.ackTimeoutMinutes),
    webhooks: (s.notifications?.webhooks ?? [])
      .map((w) => `${w.name} | ${w.format} | ${w.url ?? `${KEEP} ${w.urlHint ?? ''}`.trim()}`)
      .join('\n'),
    maintenance: (s.maintenanceWindows ?? [])
      .map((w) => {
        const base = `${w.name} | ${w.days.join(',')} | ${w.start}-${w.end}`
        return w.matchers?.length
          ? `${base} | ${w.matchers.map((m) => `${m.field} ${m.op} ${m.value}`).join('; ')}`
          : base
      })
      .join('\n'),
  }
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

/** Stands for the URL the server keeps sealed: it is never sent to the dashboard, so it cannot be shown. */
const KEEP = 'saved'

function parseWebhooks(text: string, problems: FieldProblem[]) {
  return lines(text).flatMap((line, i) => {
    const [name, format, url] = line.split('|').map((p) => p.trim())
    if (!name || (format !== 'slack' && format !== 'teams') || !url) {
      problems.push({ field: 'notifications.webhooks', message: `line ${i + 1}: write "name | slack or teams | URL"` })
      return []
    }
    // "saved …": keep the URL stored under this name.
    return [url === KEEP || url.startsWith(`${KEEP} `) ? { name, format } : { name, format, url }]
  })
}

function parseMatchers(text: string): Matcher[] | null {
  const out: Matcher[] = []
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\S+)\s*(=~|!~|!=|=)\s*(.+)$/.exec(part)
    if (!m) return null
    out.push({ field: m[1]!, op: m[2]!, value: m[3]!.trim() })
  }
  return out
}

function parseWindows(text: string, problems: FieldProblem[]): MaintenanceWindow[] {
  return lines(text).flatMap((line, i) => {
    const [name, days, span, matchers] = line.split('|').map((p) => p.trim())
    const times = /^(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$/.exec(span ?? '')
    const parsed = matchers ? parseMatchers(matchers) : []
    if (!name || !days || !times || parsed === null) {
      problems.push({
        field: 'maintenanceWindows',
        message: `line ${i + 1}: write "name | sat,sun | 22:00-02:00" and optionally "| asset =~ db-.*"`,
      })
      return []
    }
    const dayList = days.split(/[\s,]+/).map((d) => d.toLowerCase().slice(0, 3))
    return [{ name, days: dayList, start: times[1]!, end: times[2]!, ...(parsed.length ? { matchers: parsed } : {}) }]
  })
}

export interface PagingParts {
  businessHours: { days: string[]; start: string; end: string } | undefined
  webhooks: Array<{ name: string; format: string; url?: string }> | undefined
  ackTimeoutMinutes: number | undefined
  maintenanceWindows: MaintenanceWindow[] | undefined
}

/** This part's settings (undefined = the default), or the problems to show first. */
export function pagingParts(f: PagingForm): { problems: FieldProblem[]; parts: PagingParts } {
  const problems: FieldProblem[] = []
  const ack = f.ackTimeoutMinutes.trim()
  if (ack !== '' && !/^\d+$/.test(ack)) {
    problems.push({ field: 'onCall.ackTimeoutMinutes', message: 'must be a whole number' })
  }
  const webhooks = parseWebhooks(f.webhooks, problems)
  const windows = parseWindows(f.maintenance, problems)
  return {
    problems,
    parts: {
      businessHours: f.businessDays.length
        ? { days: DAYS.filter((d) => f.businessDays.includes(d)), start: f.businessStart, end: f.businessEnd }
        : undefined,
      webhooks: webhooks.length ? webhooks : undefined,
      ackTimeoutMinutes: ack && /^\d+$/.test(ack) ? Number(ack) : undefined,
      maintenanceWindows: windows.length ? windows : undefined,
    },
  }
}

export const PAGING_FIELDS = [
  'sla.businessHours',
  'onCall.ackTimeoutMinutes',
  'notifications.webhooks',
  'maintenanceWindows',
]
