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

const INCIDENT_DETAIL = /* GraphQL */ `
  fragment IncidentDetail on Incident {
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
      output
      error
      internalDetail
      startedAt
      finishedAt
    }
    alerts {
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
    }
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
    timeline {
      seq
      kind
      message
      actor
      createdAt
    }
  }
  ${INCIDENT_SUMMARY}
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
      ...IncidentDetail
    }
  }
  ${INCIDENT_DETAIL}
`

export const INCIDENT_UPDATED = /* GraphQL */ `
  subscription IncidentUpdated($id: ID!) {
    incidentUpdated(id: $id) {
      ...IncidentDetail
    }
  }
  ${INCIDENT_DETAIL}
`

const mutation = (name: string) => /* GraphQL */ `
  mutation ${name[0]!.toUpperCase()}${name.slice(1)}($id: ID!, $comment: String) {
    ${name}(id: $id, comment: $comment) { ...IncidentDetail }
  }
  ${INCIDENT_DETAIL}
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
      ...IncidentDetail
    }
  }
  ${INCIDENT_DETAIL}
`
export const SPLIT_INCIDENT = /* GraphQL */ `
  mutation SplitIncident($id: ID!, $alertIds: [ID!]!) {
    splitIncident(id: $id, alertIds: $alertIds) {
      ...IncidentDetail
    }
  }
  ${INCIDENT_DETAIL}
`
export const ASSIGN_INCIDENT = /* GraphQL */ `
  mutation AssignIncident($id: ID!, $userId: ID!, $comment: String) {
    assignIncident(id: $id, userId: $userId, comment: $comment) {
      ...IncidentDetail
    }
  }
  ${INCIDENT_DETAIL}
`
