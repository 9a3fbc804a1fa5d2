import type { AlertRecord } from '../../incident-queries.ts';
import { builder } from '../builder.ts';
import { SeverityEnum } from './enums.ts';

export const AlertRef = builder.objectRef<AlertRecord>('Alert').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    assetName: t.exposeString('assetName'),
    signature: t.exposeString('signature'),
    message: t.exposeString('message'),
    severity: t.expose('severity', { type: SeverityEnum }),
    toolSource: t.exposeString('toolSource'),
    status: t.exposeString('status', { description: 'firing, or resolved: a recovery notification from the source.' }),
    receiver: t.exposeString('receiver', {
      description: 'The webhook route it came in on (alerts, alertmanager, events_v2...).',
    }),
    resolvedAt: t.expose('resolvedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When its source reported it recovered.',
    }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    companyId: t.exposeID('companyId'),
    companyName: t.exposeString('companyName'),
    incidentId: t.exposeID('incidentId', {
      nullable: true,
      description: 'The incident it joined; null while it waits for the router, or when it joined none.',
    }),
    muted: t.exposeBoolean('muted', { description: 'A silence or maintenance window muted it: it paged nobody.' }),
    correlationRule: t.string({
      nullable: true,
      description: 'The rule that placed it in its incident: opened, same_key, host_fault, recurrence or alone.',
      resolve: (a) => a.correlation?.rule ?? null,
    }),
    correlationMatched: t.stringList({
      description: 'What matched: key fields, cross_tool, or host_fault:<fault>.',
      resolve: (a) => a.correlation?.matched ?? [],
    }),
  }),
});
