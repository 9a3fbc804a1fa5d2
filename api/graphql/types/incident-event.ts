import type { TimelineRecord } from '../../incident-queries.ts';
import { builder } from '../builder.ts';

export const IncidentEventRef = builder.objectRef<TimelineRecord>('IncidentEvent').implement({
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    kind: t.exposeString('kind'),
    message: t.exposeString('message'),
    actor: t.exposeString('actor', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
