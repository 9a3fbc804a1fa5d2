// The alert explorer (api/graphql/types/search.ts): alerts searched and paged by cursor.
import type { Severity } from './types'

export interface ExplorerAlert {
  id: string
  companyId: string
  companyName: string
  incidentId: string | null
  assetName: string
  signature: string
  message: string
  severity: Severity
  toolSource: string
  muted: boolean
  receivedAt: string
}

export interface AlertSearch {
  text?: string | null
  companyId?: string | null
  severity?: Severity | null
  toolSource?: string | null
  muted?: boolean | null
  from?: string | null
  to?: string | null
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

export const ALERTS_CONNECTION = /* GraphQL */ `
  query AlertsConnection($filter: AlertSearch, $first: Int, $after: String) {
    alertsConnection(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          companyId
          companyName
          incidentId
          assetName
          signature
          message
          severity
          toolSource
          muted
          receivedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`
