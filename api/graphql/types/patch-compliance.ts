// Patch compliance over GraphQL (issue 14 item 8): members of the company and MSP admins read the stored summary;
// company admins and MSP admins may ask for a refresh now. A failed read shows our sentence, never AWS's text.
import { builder, requireUser } from '../builder.ts';
import { requireCompanyAdmin, requireCompanyMember } from '../../tenants/access.ts';
import {
  getPatchCompliance,
  refreshPatchCompliance,
  type PatchComplianceView,
  type PatchInstanceView,
} from '../../tenants/patch-compliance.ts';
import { guard } from './tenant-errors.ts';

const PatchInstanceRef = builder.objectRef<PatchInstanceView>('PatchInstanceState').implement({
  description: "One registered instance's last Patch Manager report (DescribeInstancePatchStates).",
  fields: (t) => ({
    instanceId: t.exposeString('instanceId'),
    assetName: t.exposeString('assetName', { nullable: true }),
    compliant: t.exposeBoolean('compliant', {
      description: 'Nothing missing or failed and no installed patch waiting for a reboot.',
    }),
    missingCount: t.exposeInt('missingCount'),
    criticalNonCompliantCount: t.exposeInt('criticalNonCompliantCount'),
    securityNonCompliantCount: t.exposeInt('securityNonCompliantCount'),
    failedCount: t.exposeInt('failedCount'),
    installedPendingRebootCount: t.exposeInt('installedPendingRebootCount'),
    operation: t.exposeString('operation', { description: 'Scan or Install.' }),
    operationEndTime: t.expose('operationEndTime', { type: 'DateTime' }),
    scanAgeHours: t.exposeInt('scanAgeHours', { nullable: true }),
    stale: t.exposeBoolean('stale'),
  }),
});

const PatchComplianceRef = builder.objectRef<PatchComplianceView>('PatchCompliance').implement({
  description: "A company's patch compliance as last read from AWS Systems Manager Patch Manager.",
  fields: (t) => ({
    companyId: t.exposeID('companyId'),
    refreshedAt: t.expose('refreshedAt', { type: 'DateTime', nullable: true }),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime', nullable: true }),
    failure: t.exposeString('failure', {
      nullable: true,
      description: 'Why the latest refresh failed; the figures are then those of the last good one.',
    }),
    instanceCount: t.exposeInt('instanceCount'),
    scannedCount: t.exposeInt('scannedCount'),
    compliantCount: t.exposeInt('compliantCount'),
    compliantPercent: t.exposeFloat('compliantPercent', {
      nullable: true,
      description: 'Compliant share of scanned instances (0–100); null when none was scanned.',
    }),
    criticalMissing: t.exposeInt('criticalMissing'),
    securityMissing: t.exposeInt('securityMissing'),
    oldestScanAt: t.expose('oldestScanAt', { type: 'DateTime', nullable: true }),
    oldestScanAgeHours: t.exposeInt('oldestScanAgeHours', { nullable: true }),
    stale: t.exposeBoolean('stale'),
    staleAfterHours: t.exposeInt('staleAfterHours'),
    unscanned: t.exposeStringList('unscanned', { description: 'Registered instances Patch Manager never reported.' }),
    instances: t.field({ type: [PatchInstanceRef], resolve: (v) => v.instances }),
  }),
});

builder.queryField('patchCompliance', (t) =>
  t.field({
    type: PatchComplianceRef,
    description: "The company's stored patch compliance (refreshed by the install's schedule; no AWS call).",
    args: { companyId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyMember(requireUser(ctx), String(args.companyId));
        return getPatchCompliance(ctx.sql, String(args.companyId));
      }),
  }),
);

builder.mutationField('refreshPatchCompliance', (t) =>
  t.field({
    type: PatchComplianceRef,
    description: "Reads the company's patch states from AWS now and returns the stored result.",
    args: { companyId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        const companyId = String(args.companyId);
        requireCompanyAdmin(requireUser(ctx), companyId);
        await refreshPatchCompliance(ctx.temporal, ctx.config.taskQueue, companyId);
        return getPatchCompliance(ctx.sql, companyId);
      }),
  }),
);
