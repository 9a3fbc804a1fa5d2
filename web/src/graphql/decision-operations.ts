// An incident's decision history (Incident.decisions, api/graphql/types/decision.ts) and a hand-written mirror of
// its type; DateTime is an ISO string.

export interface DecisionRecord {
  id: string
  /** rules, gemini or bedrock: who was asked. */
  provider: string
  model: string | null
  promptVersion: string | null
  inputDigest: string | null
  action: string | null
  runbookName: string | null
  /** Who decided in the end: the rules or the model. */
  source: string | null
  confidence: number | null
  reasoning: string | null
  latencyMs: number | null
  tokensIn: number | null
  tokensOut: number | null
  /** Why the rules decided instead of the provider. */
  fallbackReason: string | null
  /** Why outcome memory held back an automatic run. */
  memoryReason: string | null
  /** Who asked for this decision (a fresh decision); null for the automation's own. */
  requestedBy: string | null
  /** Who overrode it, and how: rejected, or other_runbook. */
  overriddenBy: string | null
  override: string | null
  createdAt: string
}

/** Incident.memory's sentence: what runbooks did before for this client, signature and asset. */
export interface IncidentMemory {
  sentence: string
}

export const DECISION_HISTORY_QUERY = /* GraphQL */ `
  query IncidentDecisions($id: ID!) {
    incident(id: $id) {
      id
      status
      decisions(limit: 20) {
        id
        provider
        model
        promptVersion
        inputDigest
        action
        runbookName
        source
        confidence
        reasoning
        latencyMs
        tokensIn
        tokensOut
        fallbackReason
        memoryReason
        requestedBy
        overriddenBy
        override
        createdAt
      }
      memory {
        sentence
      }
    }
  }
`

export const REDECIDE_INCIDENT = /* GraphQL */ `
  mutation RedecideIncident($id: ID!) {
    redecideIncident(incidentId: $id) {
      id
      status
    }
  }
`

/** Statuses in which a fresh decision is refused (a runbook in flight, or closed). */
export const NO_REDECIDE = ['resolved', 'remediating', 'awaiting_approval']

/** Company.decisionKeys: which Gemini key the company's decisions use, never the key. */
export interface DecisionProviderKeys {
  geminiKeyHint: string | null
  installGeminiKey: boolean
  bedrock: string
}

const KEY_FIELDS = 'geminiKeyHint installGeminiKey bedrock'
export const DECISION_KEYS = `query DecisionKeys($id: ID!) { company(id: $id) { id decisionKeys { ${KEY_FIELDS} } } }`
export const SET_GEMINI_KEY = `mutation SetGeminiKey($c: ID!, $k: String!) {
  setGeminiApiKey(companyId: $c, apiKey: $k) { ${KEY_FIELDS} }
}`
export const REMOVE_GEMINI_KEY = `mutation RemoveGeminiKey($c: ID!) { removeGeminiApiKey(companyId: $c) { ${KEY_FIELDS} } }`

/** A model's answer while it streams (api/graphql/types/decision-progress.ts). */
export interface DecisionProgress {
  incidentId: string
  provider: string
  model: string | null
  /** The reasoning as far as it has come. */
  reasoning: string
  receivedChars: number
  done: boolean
}

export const DECISION_PROGRESS = `
  subscription DecisionProgress($incidentId: ID!) {
    decisionProgress(incidentId: $incidentId) {
      incidentId
      provider
      model
      reasoning
      receivedChars
      done
    }
  }
`
