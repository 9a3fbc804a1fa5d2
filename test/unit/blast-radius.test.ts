// The blast-radius guard's decision, apart from the database that counts the runs.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BLAST_RADIUS,
  DEFAULT_BLAST_RADIUS_CEILING,
  effectiveLimits,
  judgeBlastRadius,
  limitsAboveCeiling,
} from '../../domain/blast-radius.ts';
import { parseCompanySettings } from '../../domain/company-settings.ts';
import { loadConfig } from '../../lib/config.ts';

const limits = { maxRunsPerAssetPerHour: 3, maxRunsPerRunbookPerHour: 20, maxConcurrentRuns: 5 };
const none = { assetRunsLastHour: 0, runbookRunsLastHour: 0, concurrentRuns: 0 };

describe('judgeBlastRadius', () => {
  it('allows runs under every limit, up to the last one', () => {
    expect(judgeBlastRadius(none, limits, 'Clean temp files')).toEqual({ allowed: true });
    expect(judgeBlastRadius({ assetRunsLastHour: 2, runbookRunsLastHour: 19, concurrentRuns: 4 }, limits, 'x')).toEqual(
      { allowed: true },
    );
  });

  it('refuses the fourth run on an asset within the hour, saying why', () => {
    expect(judgeBlastRadius({ ...none, assetRunsLastHour: 3 }, limits, 'Clean temp files')).toEqual({
      allowed: false,
      limit: 'maxRunsPerAssetPerHour',
      reason: 'Not run: this asset already had 3 runbook runs in the last hour (limit 3)',
    });
  });

  it('refuses a runbook that ran its hourly limit for the company', () => {
    expect(judgeBlastRadius({ ...none, runbookRunsLastHour: 20 }, limits, 'Clean temp files')).toEqual({
      allowed: false,
      limit: 'maxRunsPerRunbookPerHour',
      reason:
        'Not run: the runbook "Clean temp files" already ran 20 times for this company in the last hour (limit 20)',
    });
  });

  it('refuses a run while the company has its limit of runs in progress', () => {
    const verdict = judgeBlastRadius({ ...none, concurrentRuns: 1 }, { ...limits, maxConcurrentRuns: 1 }, 'x');
    expect(verdict).toEqual({
      allowed: false,
      limit: 'maxConcurrentRuns',
      reason: 'Not run: 1 runbook run already in progress for this company (limit 1 at once)',
    });
  });

  it('names the asset limit first when several are reached', () => {
    const all = { assetRunsLastHour: 9, runbookRunsLastHour: 99, concurrentRuns: 9 };
    expect(judgeBlastRadius(all, limits, 'x')).toMatchObject({ limit: 'maxRunsPerAssetPerHour' });
  });
});

describe('effectiveLimits and ceilings', () => {
  it("takes the company's values, else the defaults, never above the ceiling", () => {
    expect(effectiveLimits(undefined, DEFAULT_BLAST_RADIUS, DEFAULT_BLAST_RADIUS_CEILING)).toEqual({
      maxRunsPerAssetPerHour: 3,
      maxRunsPerRunbookPerHour: 20,
      maxConcurrentRuns: 5,
    });
    expect(
      effectiveLimits(
        { maxRunsPerAssetPerHour: 1, maxConcurrentRuns: 500 },
        DEFAULT_BLAST_RADIUS,
        DEFAULT_BLAST_RADIUS_CEILING,
      ),
    ).toEqual({ maxRunsPerAssetPerHour: 1, maxRunsPerRunbookPerHour: 20, maxConcurrentRuns: 50 });
  });

  it('names each company field above the install ceiling', () => {
    expect(
      limitsAboveCeiling({ maxConcurrentRuns: 51, maxRunsPerAssetPerHour: 2 }, DEFAULT_BLAST_RADIUS_CEILING),
    ).toEqual([{ field: 'remediation.maxConcurrentRuns', message: "must be at most 50 (this install's ceiling)" }]);
  });

  it('reads defaults and ceilings from the environment, a default held to its ceiling', () => {
    const c = loadConfig({
      REMEDIATION_MAX_RUNS_PER_ASSET_PER_HOUR: '7',
      REMEDIATION_MAX_CONCURRENT_RUNS: '80',
      REMEDIATION_MAX_CONCURRENT_RUNS_CEILING: '60',
    });
    expect(c.blastRadiusDefaults).toEqual({
      maxRunsPerAssetPerHour: 7,
      maxRunsPerRunbookPerHour: 20,
      maxConcurrentRuns: 60,
    });
    expect(c.blastRadiusCeilings.maxConcurrentRuns).toBe(60);
    expect(() => loadConfig({ REMEDIATION_MAX_CONCURRENT_RUNS: 'lots' })).toThrow(/REMEDIATION_MAX_CONCURRENT_RUNS/);
  });

  it('refuses settings by field name: a zero, a fraction, an unknown key', () => {
    const r = parseCompanySettings({
      remediation: { maxRunsPerAssetPerHour: 0, maxConcurrentRuns: 1.5, maxRunsPerHour: 3 },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual([
      'remediation.maxConcurrentRuns',
      'remediation.maxRunsPerAssetPerHour',
      'remediation.maxRunsPerHour',
    ]);
    expect(parseCompanySettings({ remediation: { maxRunsPerRunbookPerHour: 10 } })).toMatchObject({ ok: true });
  });
});
