// How the detail page folds a live header into what it shows (issue 15 item 4): events carry the header only, so
// the page patches it in place and decides from it which of the parts it reads by query must be read again.
import type { Execution, Incident, IncidentHeader } from '../graphql/types'

/** What a new header says changed besides itself. */
export interface HeaderChanges {
  /** The incident was saved again: its timeline may have new events. */
  timeline: boolean
  /** Alerts joined, left or recovered at their source. */
  alerts: boolean
  /** Fewer alerts than before: some left (split off by someone), so loaded pages may hold rows no longer its own. */
  alertsLeft: boolean
  /** The SSM output, the correlation or the count of alerts held by inhibition rules may be different. */
  extras: boolean
}

function executionState(e: Omit<Execution, 'output'> | null | undefined): string {
  return e ? `${e.commandId}|${e.status}|${e.finishedAt ?? ''}` : ''
}

/** Whether `next` is at least as new as `current` (a slow query must not undo a live update). */
export function isCurrent(next: IncidentHeader, current: IncidentHeader | null): boolean {
  return !current || current.id !== next.id || Date.parse(current.updatedAt) <= Date.parse(next.updatedAt)
}

/** Everything is to be read when nothing was shown yet (an event raced the first load). */
export function headerChanges(before: IncidentHeader | null, next: IncidentHeader): HeaderChanges {
  if (!before || before.id !== next.id) return { timeline: true, alerts: true, alertsLeft: false, extras: true }
  const alerts = before.alertCount !== next.alertCount || before.sourceResolvedAt !== next.sourceResolvedAt
  return {
    timeline: before.updatedAt !== next.updatedAt,
    alerts,
    alertsLeft: next.alertCount < before.alertCount,
    // A header that says no save happened tells of rows it does not count: an alert an inhibition rule held was
    // attached (the held count is read by query), or a recovery notification.
    extras:
      before.updatedAt === next.updatedAt ||
      before.alertCount !== next.alertCount ||
      executionState(before.execution) !== executionState(next.execution),
  }
}

/** The live header over what the page shows, keeping the parts only a query reads until they are read again. */
export function patchHeader(shown: Incident | null, header: IncidentHeader): Incident {
  const same = shown?.id === header.id ? shown : null
  const output = same?.execution?.commandId === header.execution?.commandId ? (same?.execution?.output ?? null) : null
  return {
    ...header,
    execution: header.execution ? { ...header.execution, output } : null,
    correlation: same?.correlation ?? null,
    inhibitedCount: same?.inhibitedCount ?? 0,
  }
}

/** The extras a query read, over the header shown (which may be newer than the query). */
export function withExtras(
  shown: Incident,
  extras: Pick<Incident, 'execution' | 'correlation' | 'inhibitedCount'>,
): Incident {
  const output = shown.execution?.commandId === extras.execution?.commandId ? (extras.execution?.output ?? null) : null
  return {
    ...shown,
    execution: shown.execution ? { ...shown.execution, output } : null,
    correlation: extras.correlation,
    inhibitedCount: extras.inhibitedCount,
  }
}
