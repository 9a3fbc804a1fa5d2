// The decision engine's settings (domain/company-settings.ts `decision`) as form text: '' = the install default
// (provider: the rules; model: GEMINI_MODEL or BEDROCK_MODEL; minimum confidence 0.6).
import type { FieldProblem } from '../../graphql/errors'
import type { CompanySettings } from '../../graphql/tenant-types'

export interface DecisionForm {
  provider: '' | 'rules' | 'gemini' | 'bedrock'
  model: string
  minConfidence: string
}

export const DECISION_PROVIDERS = [
  { value: 'rules', label: 'The rules (exact signature match)' },
  { value: 'gemini', label: 'Gemini' },
  { value: 'bedrock', label: 'Amazon Bedrock' },
] as const

export const DECISION_FIELDS = ['decision.provider', 'decision.model', 'decision.minConfidence']

export function toDecisionForm(s: CompanySettings): DecisionForm {
  return {
    provider: s.decision?.provider ?? '',
    model: s.decision?.model ?? '',
    minConfidence: s.decision?.minConfidence === undefined ? '' : String(s.decision.minConfidence),
  }
}

/** The `decision` settings to send (null = every default), and what the browser can refuse before the server. */
export function decisionParts(f: DecisionForm): { problems: FieldProblem[]; decision: Record<string, unknown> | null } {
  const problems: FieldProblem[] = []
  const raw = f.minConfidence.trim()
  const confidence = raw === '' ? undefined : Number(raw)
  if (confidence !== undefined && !(Number.isFinite(confidence) && confidence >= 0 && confidence <= 1)) {
    problems.push({ field: 'decision.minConfidence', message: 'must be a number from 0 to 1, e.g. 0.7' })
  }
  const kept = Object.entries({ provider: f.provider, model: f.model.trim(), minConfidence: confidence }).filter(
    ([, v]) => v !== undefined && v !== '',
  )
  return { problems, decision: kept.length ? Object.fromEntries(kept) : null }
}
