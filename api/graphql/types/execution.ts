import type { Execution } from '../../../workflows/types.ts';
import { isMspAdmin } from '../../tenants/access.ts';
import { builder } from '../builder.ts';

export const ExecutionRef = builder.objectRef<Execution>('Execution').implement({
  description:
    'A runbook run through AWS SSM Run Command, or through the dry-run executor when no AWS credentials are configured.',
  fields: (t) => ({
    executor: t.exposeString('executor'),
    dryRun: t.boolean({ resolve: (e) => e.executor === 'dry_run' }),
    commandId: t.exposeString('commandId'),
    documentName: t.exposeString('documentName'),
    instanceIds: t.exposeStringList('instanceIds'),
    commands: t.exposeStringList('commands'),
    status: t.exposeString('status'),
    output: t.exposeString('output', { nullable: true }),
    error: t.exposeString('error', {
      nullable: true,
      description: "The instance's stderr, or a plain sentence when the run failed around it (AWS refused, timed out).",
    }),
    internalDetail: t.string({
      nullable: true,
      description:
        'The raw AWS or Temporal error behind `error`, for MSP admins; null for everyone else, and when there is none.',
      resolve: (e, _args, ctx) => (ctx.user && isMspAdmin(ctx.user) ? (e.internalDetail ?? null) : null),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});
