import { request } from '../graphql/client'
import { INCIDENT_ALERTS_PAGE, INCIDENT_TIMELINE_PAGE } from '../graphql/operations'
import type { Alert, Connection, IncidentEvent } from '../graphql/types'
import { usePagedList, type ListPage } from './usePagedList'

/** Rows per page of the detail page's timeline and alerts (the server's default page). */
export const DETAIL_PAGE_SIZE = 50

async function page<T, K extends string>(
  query: string,
  field: K,
  id: string,
  after: string | null,
): Promise<ListPage<T>> {
  const data = await request<{ incident: ({ [k in K]: Connection<T> } & { id: string }) | null }>(query, {
    id,
    first: DETAIL_PAGE_SIZE,
    after,
  })
  const conn = data.incident?.[field]
  if (!conn) return { items: [], endCursor: null, hasNextPage: false }
  return { items: conn.edges.map((e) => e.node), ...conn.pageInfo }
}

/** The shown incident's timeline and alerts, newest first, read by page; `id()` names the incident shown now. */
export function useIncidentPages(id: () => string | null) {
  const timeline = usePagedList<IncidentEvent>(
    (after) => {
      const current = id()
      return current ? page(INCIDENT_TIMELINE_PAGE, 'timelineConnection', current, after) : none()
    },
    (e) => String(e.seq),
  )
  const alerts = usePagedList<Alert>(
    (after) => {
      const current = id()
      return current ? page(INCIDENT_ALERTS_PAGE, 'alertsConnection', current, after) : none()
    },
    (a) => a.id,
  )
  return { timeline, alerts }
}

function none<T>(): Promise<ListPage<T>> {
  return Promise.resolve({ items: [], endCursor: null, hasNextPage: false })
}
