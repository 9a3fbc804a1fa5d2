// Upserts the incident's search attributes (domain/search-attributes.ts) when they change, so Temporal Web lists
// runs by company, asset, signature, severity, status and assignee. Runs recorded before this carry none; a run on
// an install whose worker could not register them (loadIncidentContext says so) upserts nothing, since an unknown
// attribute would fail every workflow task.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { since } from './patches.ts';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { INCIDENT_SEARCH_ATTRIBUTES, type IncidentSearchAttribute } from '../domain/search-attributes.ts';
import type { IncidentState } from './types.ts';

export const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

type KeywordKey = ReturnType<typeof defineSearchAttributeKey<'KEYWORD'>>;

const KEYS = Object.fromEntries(
  INCIDENT_SEARCH_ATTRIBUTES.map((name) => [name, defineSearchAttributeKey(name, SearchAttributeType.KEYWORD)]),
) as Record<IncidentSearchAttribute, KeywordKey>;

/** The values the incident's attributes should hold now; null clears one (no assignee). */
export function attributesOf(s: IncidentState): Record<IncidentSearchAttribute, string | null> {
  return {
    AwCompanyId: s.companyId,
    AwAsset: s.assetName,
    AwSignature: s.signature,
    AwSeverity: s.severity,
    AwStatus: s.status,
    AwAssignee: s.assignee?.email ?? null,
  };
}

/** Upserts the attributes whose value changed since the run last set them; nothing when none did. */
export function upsertIncidentAttributes(s: IncidentState): void {
  if (!since(SEARCH_ATTRIBUTES_PATCH)) return;
  const current = workflowInfo().typedSearchAttributes;
  const updates: SearchAttributeUpdatePair[] = [];
  for (const [name, value] of Object.entries(attributesOf(s)) as Array<[IncidentSearchAttribute, string | null]>) {
    const key = KEYS[name];
    if ((current.get(key) ?? null) === value) continue;
    updates.push(value === null ? { key, value: null } : { key, value });
  }
  if (updates.length > 0) upsertSearchAttributes(updates);
}
