const INCIDENT_SUMMARY = /* GraphQL */ `
  fragment IncidentSummary on Incident {
    id
    companyId
    companyName
    status
    severity
    signature
    assetName
    alertCount
    priorityScore
    toolSources
    escalated
    slaBreached
    acknowledgedBy
    assignee {
      userId
      email
      at
      by
    }
    slaStatus
    slaDeadline
    category
    createdAt
    updatedAt
  }
`

// The detail page's header: everything but what a live event must not carry (issue 15 item 4). Inside a
// subscription the server refuses the fields that read the database per subscriber (alerts, timeline, correlation),
// and the SSM output can be large; the page reads those by query (INCIDENT, INCIDENT_EXTRAS_QUERY and the pages).
const INCIDENT_HEADER = /* GraphQL */ `
  fragment IncidentHeader on Incident {
    ...IncidentSummary
    aggregationKey
    autoRemediated
    escalationReason
    slaResponseDeadline
    slaResolutionDeadline
    approvalDeadline
    resolvedAt
    resolutionNote
    reopenCount
    acknowledgedAt
    sourceResolvedAt
    workflowId
    runId
    temporalUrl
    viewerCanApprove
    decision {
      action
      runbookName
      riskLevel
      reasoning
      source
      confidence
    }
    approval {
      status
      riskLevel
      requestedAt
      deadline
      decidedBy
      decidedAt
      comment
    }
    execution {
      executor
      dryRun
      commandId
      documentName
      instanceIds
      commands
      status
      error
      internalDetail
      startedAt
      finishedAt
    }
  }
  ${INCIDENT_SUMMARY}
`

/** What the detail page reads by query beyond the header: re-read when the header says it changed. */
const INCIDENT_EXTRAS = /* GraphQL */ `
  fragment IncidentExtras on Incident {
    execution {
      commandId
      output
    }
    inhibitedCount
    correlation {
      key
      rule
      recurrenceOf
      firstAlertAt
      lastAlertAt
      reasons {
        rule
        matched
        alertCount
      }
    }
  }
`

/** The detail page's incident as a query or a mutation answers it: the header and its extras. */
const INCIDENT_VIEW = /* GraphQL */ `
  fragment IncidentView on Incident {
    ...IncidentHeader
    ...IncidentExtras
  }
  ${INCIDENT_HEADER}
  ${INCIDENT_EXTRAS}
`

const USER_FIELDS = 'id email name role companyIds'

export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken user { ${USER_FIELDS} } }
  }
`

export const SET_PASSWORD_WITH_LINK = /* GraphQL */ `
  mutation SetPasswordWithLink($token: String!, $password: String!) {
    setPasswordWithLink(token: $token, password: $password) { accessToken user { ${USER_FIELDS} } }
  }
`

/** MSP admins only (the server refuses everyone else): the raw error behind a timeline event's failure. */
export const INCIDENT_FAILURE_DETAIL = /* GraphQL */ `
  query IncidentFailureDetail($incidentId: ID!, $seq: Int!) {
    incidentFailureDetail(incidentId: $incidentId, seq: $seq)
  }
`

export const INCIDENTS = /* GraphQL */ `
  query Incidents($status: IncidentStatus, $severity: Severity, $limit: Int) {
    incidents(status: $status, severity: $severity, limit: $limit) {
      ...IncidentSummary
    }
  }
  ${INCIDENT_SUMMARY}
`

/** Incidents found by text (asset, signature, alert messages), newest first: the list's search box. */
export const INCIDENTS_SEARCH = /* GraphQL */ `
  query IncidentsSearch($filter: IncidentSearch, $first: Int) {
    incidentsConnection(filter: $filter, first: $first) {
      edges {
        node {
          ...IncidentSummary
        }
      }
    }
  }
  ${INCIDENT_SUMMARY}
`

export const INCIDENTS_UPDATED = /* GraphQL */ `
  subscription IncidentsUpdated {
    incidentUpdated {
      ...IncidentSummary
    }
  }
  ${INCIDENT_SUMMARY}
`

export const INCIDENT = /* GraphQL */ `
  query Incident($id: ID!) {
    incident(id: $id) {
      ...IncidentView
    }
  }
  ${INCIDENT_VIEW}
`

/** The execution output and the correlation again, when a live header says they changed. */
export const INCIDENT_EXTRAS_QUERY = /* GraphQL */ `
  query IncidentExtras($id: ID!) {
    incident(id: $id) {
      id
      updatedAt
      ...IncidentExtras
    }
  }
  ${INCIDENT_EXTRAS}
`

/** A page of the incident's timeline, newest first (by seq). */
export const INCIDENT_TIMELINE_PAGE = /* GraphQL */ `
  query IncidentTimelinePage($id: ID!, $first: Int, $after: String) {
    incident(id: $id) {
      id
      timelineConnection(first: $first, after: $after) {
        edges {
          node {
            seq
            kind
            message
            actor
            createdAt
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`

/** A page of the incident's alerts, newest first (received, then id). */
export const INCIDENT_ALERTS_PAGE = /* GraphQL */ `
  query IncidentAlertsPage($id: ID!, $first: Int, $after: String) {
    incident(id: $id) {
      id
      alertsConnection(first: $first, after: $after) {
        edges {
          node {
            id
            assetName
            signature
            message
            severity
            toolSource
            status
            resolvedAt
            receivedAt
            correlationRule
            correlationMatched
            inhibition {
              ruleId
              ruleName
              sourceAlertId
              releasedAt
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`

/** The header only: the server refuses alerts, timeline and correlation inside a subscription. */
export const INCIDENT_UPDATED = /* GraphQL */ `
  subscription IncidentUpdated($id: ID!) {
    incidentUpdated(id: $id) {
      ...IncidentHeader
    }
  }
  ${INCIDENT_HEADER}
`

const mutation = (name: string) => /* GraphQL */ `
  mutation ${name[0]!.toUpperCase()}${name.slice(1)}($id: ID!, $comment: String) {
    ${name}(id: $id, comment: $comment) { ...IncidentView }
  }
  ${INCIDENT_VIEW}
`

export const APPROVE_INCIDENT = mutation('approveIncident')
export const REJECT_INCIDENT = mutation('rejectIncident')
export const ACKNOWLEDGE_INCIDENT = mutation('acknowledgeIncident')
export const RESOLVE_INCIDENT = mutation('resolveIncident')
export const START_INCIDENT_WORK = mutation('startIncidentWork')
export const REOPEN_INCIDENT = mutation('reopenIncident')
export const MERGE_INCIDENTS = /* GraphQL */ `
  mutation MergeIncidents($targetId: ID!, $sourceIds: [ID!]!) {
    mergeIncidents(targetId: $targetId, sourceIds: $sourceIds) {
      ...IncidentView
    }
  }
  ${INCIDENT_VIEW}
`
export const SPLIT_INCIDENT = /* GraphQL */ `
  mutation SplitIncident($id: ID!, $alertIds: [ID!]!) {
    splitIncident(id: $id, alertIds: $alertIds) {
      ...IncidentView
    }
  }
  ${INCIDENT_VIEW}
`
export const ASSIGN_INCIDENT = /* GraphQL */ `
  mutation AssignIncident($id: ID!, $userId: ID!, $comment: String) {
    assignIncident(id: $id, userId: $userId, comment: $comment) {
      ...IncidentView
    }
  }
  ${INCIDENT_VIEW}
`
