// How many items each list field of the schema can return: the one table GraphQL cost analysis (cost.ts) sizes
// lists by. A field with a size argument counts what the request asks for (clamped to `max`, as its resolver clamps
// it); a field without one counts `max`, the most its resolver returns or, where the resolver sets no LIMIT, the
// most a real install holds (marked "estimate"). Lists of scalars and enums are columns of their parent's row and
// cost nothing; every list of objects must be here (test/unit/graphql-cost.test.ts checks the schema against it).
import { DEFAULT_MAX_INHIBITION_RULES } from '../../domain/inhibition.ts';
import { MEMORY_RECENT_RUNS } from '../../domain/outcome-memory.ts';
import { DIFF_FIELD_COUNT, RUNBOOK_LIMITS } from '../../domain/runbook.ts';
import { RUNBOOK_CATALOGUE } from '../../domain/runbook-catalogue.ts';
import { MAX_PERIOD_DAYS } from '../../domain/kpi.ts';
import { INCIDENT_STATUSES, SEVERITIES } from '../../domain/types.ts';
import { PENDING_APPROVALS_LIMIT, TIMELINE_LIMIT } from '../incident-queries.ts';
import { PAGE_SIZE } from '../../domain/paging.ts';
import { RECURRING_TOP } from '../../db/client-report.ts';
import { TOP_N } from '../../db/overview.ts';
import { RUNBOOK_VERSIONS_LIMIT } from '../tenants/runbooks.ts';

export interface ListBound {
  /** The argument that sets the size; `limit`, or `first`, when not named. */
  arg?: string;
  /** The size of the enclosing field's argument instead (a wrapper object whose list its parent sized). */
  parentArg?: string;
  /** The size when the argument is absent or null and the schema declares no default. */
  default?: number;
  /** The most the field returns. */
  max: number;
}

/** Keyed "Type.field". */
export const LIST_BOUNDS: Readonly<Record<string, ListBound>> = {
  'Query.incidents': { arg: 'limit', default: 100, max: 500 },
  /** Cursor connections: a page of `first` edges of the enclosing connection field (search-queries.ts). */
  'IncidentConnection.edges': { parentArg: 'first', default: PAGE_SIZE.default, max: PAGE_SIZE.max },
  'AlertConnection.edges': { parentArg: 'first', default: PAGE_SIZE.default, max: PAGE_SIZE.max },
  'IncidentEventConnection.edges': { parentArg: 'first', default: PAGE_SIZE.default, max: PAGE_SIZE.max },
  'Query.pendingApprovals': {
    arg: 'limit',
    default: PENDING_APPROVALS_LIMIT.default,
    max: PENDING_APPROVALS_LIMIT.max,
  },
  'Query.auditLog': { arg: 'limit', max: 1000 },
  'Query.deadLetteredAlerts': { arg: 'limit', max: 500 },
  'Query.rejectedDeliveries': { arg: 'limit', max: 500 },
  'Query.notifications': { arg: 'limit', default: 20, max: 100 },
  'Query.mySessions': { max: 100 },
  'Query.people': { max: 1000 },
  /** Estimate: an MSP's client companies. */
  'Query.companies': { max: 1000 },

  'Overview.openBySeverity': { max: SEVERITIES.length },
  'Overview.openByStatus': { max: INCIDENT_STATUSES.length },
  /** rules, each LLM provider, and each LLM provider with the rules standing in. */
  'Overview.decisionsBySource': { max: 5 },
  'Overview.topAssets': { max: TOP_N },
  'Overview.topSignatures': { max: TOP_N },
  /** One point per hour of at most two days, or per day of at most MAX_PERIOD_DAYS (plus a partial first bucket). */
  'Overview.series': { max: MAX_PERIOD_DAYS + 1 },
  'ClientReport.bySeverity': { max: SEVERITIES.length },
  'ClientReport.recurring': { max: RECURRING_TOP },

  'Incident.alerts': { arg: 'limit', max: 500 },
  'Incident.timeline': { arg: 'limit', default: TIMELINE_LIMIT.default, max: TIMELINE_LIMIT.max },
  'Incident.decisions': { arg: 'limit', default: 20, max: 100 },
  'OutcomeMemory.recent': { max: MEMORY_RECENT_RUNS },
  'OutcomeMemory.overrides': { max: MEMORY_RECENT_RUNS },
  /** Estimate: one per distinct (rule, matched fields) among the incident's alerts. */
  'IncidentCorrelation.reasons': { max: 20 },

  'Company.assets': { max: 2000 },
  /** One per registered instance: at most the company's assets (as Company.assets). */
  'PatchCompliance.instances': { max: 2000 },
  'Company.unregisteredAssets': { max: 200 },
  'Company.silences': { max: 200 },
  /** Estimate: a company's keys, rotated and revoked ones included. */
  'Company.integrationKeys': { max: 100 },
  /** Estimate: one per on-call category. */
  'Company.onCallSchedules': { max: 50 },
  'MutedAlerts.alerts': { parentArg: 'limit', max: 500 },
  'Silence.matchers': { max: 20 },
  /** Estimate: MAX_INHIBITION_RULES at its default (an install may raise it). */
  'Company.inhibitionRules': { max: DEFAULT_MAX_INHIBITION_RULES },
  'InhibitionRule.sourceMatchers': { max: 20 },
  'InhibitionRule.targetMatchers': { max: 20 },
  'OnCallSchedule.layers': { max: 2 },
  'OnCallSchedule.onCallNow': { max: 2 },
  /** Estimate: current and coming swaps of one schedule. */
  'OnCallSchedule.overrides': { max: 100 },
  /** One per receiver route. */
  'IssuedKey.webhookUrls': { max: 20 },

  /** A company's runbooks (the query's LIMIT). */
  'Query.runbooks': { max: 1000 },
  'Runbook.versions': { arg: 'limit', default: RUNBOOK_VERSIONS_LIMIT.default, max: RUNBOOK_VERSIONS_LIMIT.max },
  /** One per field of a version. */
  'RunbookVersion.changes': { max: DIFF_FIELD_COUNT },
  'RunbookVersion.parameters': { max: RUNBOOK_LIMITS.parameters },
  'RunbookCatalogueImport.imported': { max: RUNBOOK_CATALOGUE.length },
  'RunbookCatalogueImport.skipped': { max: RUNBOOK_CATALOGUE.length },

  'CorrelationLabResult.incidents': { max: 100 },
  'CorrelationLabDiff.merges': { max: 50 },
  'CorrelationLabDiff.splits': { max: 50 },
  /** Estimate: a company's inhibition rules (Company.inhibitionRules). */
  'CorrelationLabResult.inhibitionRules': { max: DEFAULT_MAX_INHIBITION_RULES },
  'CorrelationLabResult.inhibitedAlerts': { max: 100 },
};

/** What a list of objects missing from LIST_BOUNDS counts as: high, so a forgotten entry errs on refusing. */
export const UNKNOWN_LIST_SIZE = 1000;
