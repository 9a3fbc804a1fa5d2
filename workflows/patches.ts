// The incident workflow's changes are patches (Temporal's versioning): a run recorded before a change replays without
// it. A patch a run takes writes a marker and, with it, a TemporalChangeVersion search-attribute upsert: two history
// events, two disk writes on a single-shard server. A new incident took five of them, ten of its 28 events (issue 16
// item 3). The baseline stands for every patch named before it: a run that takes the baseline (every run started on
// this code or later) takes all of them with one marker; a run recorded before it replays each patch by its own
// marker, as it did. Once no run older than the baseline is open and their recordings are retired, the branches for
// runs without those patches, and `since`, can go.
import { patched } from '@temporalio/workflow';

/** Every patch before it, in one marker; also the local page (paging.ts), which exists only in baseline runs. */
export const BASELINE_PATCH = 'baseline-2026-12-07';

/**
 * Whether this run takes the baseline. The workflow asks first thing, so a new run records the marker in its first
 * workflow task, before any other command; a recorded run without it answers false while replaying (and a run that
 * reaches live execution takes it where it next asks, as any patch does).
 */
export function takesBaseline(): boolean {
  return patched(BASELINE_PATCH);
}

/** Whether this run takes the change named `patchId`: the baseline's runs take every earlier change. */
export function since(patchId: string): boolean {
  return takesBaseline() || patched(patchId);
}
