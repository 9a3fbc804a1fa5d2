// An incident's alerts and timeline as cursor connections, newest first (the lists `alerts` and `timeline` stay for
// the detail page that shows the latest few). The incident was read inside the caller's scope, so its own rows are.
import type { Page } from '../../../domain/paging.ts';
import { timelinePage } from '../../incident-pages.ts';
import type { TimelineRecord } from '../../incident-queries.ts';
import { searchAlerts } from '../../search-queries.ts';
import { builder } from '../builder.ts';
import { IncidentRef } from './incident.ts';
import { IncidentEventRef } from './incident-event.ts';
import { AlertConnectionRef, PageInfoRef, pagingGuard } from './search.ts';

const IncidentEventEdgeRef = builder.objectRef<Page<TimelineRecord>['edges'][number]>('IncidentEventEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: IncidentEventRef, resolve: (e) => e.node }),
  }),
});
const IncidentEventConnectionRef = builder.objectRef<Page<TimelineRecord>>('IncidentEventConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [IncidentEventEdgeRef], resolve: (p) => p.edges }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
  }),
});

builder.objectField(IncidentRef, 'alertsConnection', (t) =>
  t.field({
    type: AlertConnectionRef,
    description: 'Its alerts newest first (received, then id), paged by cursor.',
    args: {
      first: t.arg.int({ description: 'At most 200; 50 by default.' }),
      after: t.arg.string({ description: 'The endCursor of the page before.' }),
    },
    resolve: (i, { first, after }, ctx) =>
      pagingGuard(() => searchAlerts(ctx.sql, [i.companyId], { incidentId: i.id }, { first, after })),
  }),
);

builder.objectField(IncidentRef, 'timelineConnection', (t) =>
  t.field({
    type: IncidentEventConnectionRef,
    description: 'Its timeline newest first (by seq), paged by cursor.',
    args: {
      first: t.arg.int({ description: 'At most 200; 50 by default.' }),
      after: t.arg.string({ description: 'The endCursor of the page before.' }),
    },
    resolve: (i, { first, after }, ctx) => pagingGuard(() => timelinePage(ctx.sql, i.id, { first, after })),
  }),
);
