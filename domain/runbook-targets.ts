// Where a runbook runs: on the incident's asset (the default), or on every asset of the incident's company that
// carries a tag and has an instance registered. Never on another company's instances: the look-up reads only the
// incident's company (db/runbooks.ts taggedInstances) and the send re-checks ownership (activities/ssm-send.ts).
// A tag reaching more instances than the company may run at once (its blast-radius maxConcurrentRuns) runs on none:
// half a fleet changed in an order nobody chose is worse than a person deciding.

export const TARGET_TAG_MAX = 40;

/** The characters asset tags are written with in practice; no whitespace, nothing a shell or SQL pattern reads. */
const TAG = /^[A-Za-z0-9_.:/=@+-]+$/;

/** Why a target tag cannot be saved, or null. */
export function targetTagProblem(tag: string | null | undefined): string | null {
  if (tag == null) return null;
  if (tag.length < 1 || tag.length > TARGET_TAG_MAX) return `is 1–${TARGET_TAG_MAX} characters`;
  if (!TAG.test(tag)) return 'letters, digits and _ . : / = @ + - only';
  return null;
}

export type TargetVerdict =
  { ok: true; instanceIds: string[] } | { ok: false; kind: 'none' | 'too_many'; reason: string };

/**
 * The instances a tag run goes to, from the company's tagged instances (read with a limit of `cap + 1`, so one more
 * than allowed shows the cap is passed without reading the whole fleet).
 */
export function judgeTagTargets(tag: string, instanceIds: readonly string[], cap: number): TargetVerdict {
  if (!instanceIds.length) {
    return {
      ok: false,
      kind: 'none',
      reason: `No asset of this company tagged "${tag}" has an instance registered, so nothing was sent`,
    };
  }
  if (instanceIds.length > cap) {
    return {
      ok: false,
      kind: 'too_many',
      reason:
        `Not run: more than ${cap} assets of this company are tagged "${tag}", more than it may run on at once ` +
        `(limit ${cap})`,
    };
  }
  return { ok: true, instanceIds: [...instanceIds] };
}

/** The target as the editor and preview say it. */
export function describeTarget(tag: string | null | undefined): string {
  return tag ? `every asset of the incident's company tagged "${tag}"` : "the incident's asset";
}
