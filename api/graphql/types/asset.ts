// The asset inventory over GraphQL: members read it; the company's admins add, edit, delete and import CSV.
// Unregistered assets (named by alerts, missing from the inventory) are listed for one-click registration.
import { builder, requireUser } from '../builder.ts';
import { requireCompanyAdmin, requireCompanyMember } from '../../tenants/access.ts';
import {
  CRITICALITIES,
  deleteAsset,
  importAssets,
  listAssets,
  saveAsset,
  unregisteredAssets,
  type AssetRecord,
  type UnregisteredAsset,
} from '../../tenants/assets.ts';
import { awsAccessFor } from '../../tenants/aws-accounts.ts';
import { CompanyRef } from './company.ts';
import { actorOf, guard } from './tenant-errors.ts';

const CriticalityEnum = builder.enumType('Criticality', { values: CRITICALITIES });

const AssetRef = builder.objectRef<AssetRecord>('Asset').implement({
  fields: (t) => ({
    companyId: t.exposeID('companyId'),
    name: t.exposeString('name'),
    instanceId: t.exposeString('instanceId', { nullable: true }),
    assetType: t.exposeString('assetType'),
    os: t.exposeString('os', { nullable: true }),
    tags: t.exposeStringList('tags'),
    criticality: t.expose('criticality', { type: CriticalityEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const UnregisteredAssetRef = builder.objectRef<UnregisteredAsset>('UnregisteredAsset').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    alertCount: t.exposeInt('alertCount'),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime' }),
    toolSources: t.exposeStringList('toolSources'),
  }),
});

builder.objectField(CompanyRef, 'assets', (t) =>
  t.field({
    type: [AssetRef],
    resolve: (c, _args, ctx) =>
      guard(async () => {
        requireCompanyMember(requireUser(ctx), c.id);
        return listAssets(ctx.sql, c.id);
      }),
  }),
);

builder.objectField(CompanyRef, 'unregisteredAssets', (t) =>
  t.field({
    type: [UnregisteredAssetRef],
    description: 'Assets named by alerts in the last 30 days that are not in the inventory.',
    resolve: (c, _args, ctx) =>
      guard(async () => {
        requireCompanyMember(requireUser(ctx), c.id);
        return unregisteredAssets(ctx.sql, c.id);
      }),
  }),
);

const AssetInput = builder.inputType('AssetInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    instanceId: t.string({
      description:
        'EC2 (i-…) or SSM managed (mi-…) instance id, for remediation. One asset in the install holds an id: ' +
        'one another company registered is refused ("is registered to another company").',
    }),
    assetType: t.string(),
    os: t.string(),
    tags: t.stringList(),
    criticality: t.field({ type: CriticalityEnum }),
  }),
});

builder.mutationField('saveAsset', (t) =>
  t.field({
    type: AssetRef,
    description: 'Adds the asset, or updates the one with this name.',
    args: { companyId: t.arg.id({ required: true }), input: t.arg({ type: AssetInput, required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const aws = awsAccessFor(ctx.config);
        return saveAsset(ctx.sql, actorOf(ctx), String(args.companyId), args.input, aws);
      }),
  }),
);

builder.mutationField('deleteAsset', (t) =>
  t.boolean({
    args: { companyId: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        await deleteAsset(ctx.sql, actorOf(ctx), String(args.companyId), args.name);
        return true;
      }),
  }),
);

const ImportResultRef = builder.objectRef<{ created: number; updated: number }>('AssetImportResult').implement({
  fields: (t) => ({ created: t.exposeInt('created'), updated: t.exposeInt('updated') }),
});

builder.mutationField('importAssets', (t) =>
  t.field({
    type: ImportResultRef,
    description:
      'CSV with a header row: name (required), instance_id, type, os, tags (";"-separated), criticality. ' +
      'All rows or none: a refusal names every bad line.',
    args: { companyId: t.arg.id({ required: true }), csv: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const aws = awsAccessFor(ctx.config);
        return importAssets(ctx.sql, actorOf(ctx), String(args.companyId), args.csv, aws);
      }),
  }),
);
