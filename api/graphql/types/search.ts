// Search and cursor paging (Relay-style connections): incidentsConnection and the alert explorer's
// alertsConnection, newest first, with an opaque cursor. The old `incidents` list stays for the dashboard's board.
import { GraphQLError } from 'graphql';
import { PAGE_SIZE, PagingInputError, SEARCH_TEXT_MAX, type Page } from '../../../domain/paging.ts';
import { companyScope } from '../../auth.ts';
import type { AlertRecord, IncidentRecord } from '../../incident-queries.ts';
import { searchAlerts, searchIncidents } from '../../search-queries.ts';
import { builder, requireUser } from '../builder.ts';
import { AlertRef } from './alert.ts';
import { IncidentStatusEnum, SeverityEnum } from './enums.ts';
import { IncidentRef } from './incident.ts';

/** Bad paging or search input as a GraphQL error naming the argument. */
export async function pagingGuard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof PagingInputError) {
      throw new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT', field: err.field } });
    }
    throw err;
  }
}

export const PageInfoRef = builder.objectRef<Page<unknown>['pageInfo']>('PageInfo').implement({
  description: 'Where a page ended: pass endCursor as `after` for the next one while hasNextPage.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

// Written out per node type: Pothos's refs do not generalise over the node type without casts.
const IncidentEdgeRef = builder.objectRef<Page<IncidentRecord>['edges'][number]>('IncidentEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: IncidentRef, resolve: (e) => e.node }) }),
});
const IncidentConnectionRef = builder.objectRef<Page<IncidentRecord>>('IncidentConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [IncidentEdgeRef], resolve: (p) => p.edges }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
  }),
});
const AlertEdgeRef = builder.objectRef<Page<AlertRecord>['edges'][number]>('AlertEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: AlertRef, resolve: (e) => e.node }) }),
});
export const AlertConnectionRef = builder.objectRef<Page<AlertRecord>>('AlertConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [AlertEdgeRef], resolve: (p) => p.edges }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (p) => p.pageInfo }),
  }),
});

const textArg = `Found anywhere, literally (% and _ are plain characters), ignoring case; at most ${SEARCH_TEXT_MAX}.`;

const IncidentSearchInput = builder.inputType('IncidentSearch', {
  fields: (t) => ({
    text: t.string({ description: `In the asset, the signature or an alert's message. ${textArg}` }),
    companyId: t.id(),
    status: t.field({ type: IncidentStatusEnum }),
    severity: t.field({ type: SeverityEnum }),
    assigneeId: t.id(),
    assignedToMe: t.boolean({ description: "Only the signed-in user's incidents." }),
    from: t.field({ type: 'DateTime', description: 'Created at or after.' }),
    to: t.field({ type: 'DateTime', description: 'Created before.' }),
  }),
});

const AlertSearchInput = builder.inputType('AlertSearch', {
  fields: (t) => ({
    text: t.string({ description: `In the message, the asset or the signature. ${textArg}` }),
    companyId: t.id(),
    severity: t.field({ type: SeverityEnum }),
    toolSource: t.string(),
    muted: t.boolean({ description: 'true: muted alerts only; false: only those that were not muted.' }),
    from: t.field({ type: 'DateTime', description: 'Received at or after.' }),
    to: t.field({ type: 'DateTime', description: 'Received before.' }),
  }),
});

const pageArgs = `At most ${PAGE_SIZE.max}; ${PAGE_SIZE.default} by default.`;

builder.queryField('incidentsConnection', (t) =>
  t.field({
    type: IncidentConnectionRef,
    description: 'Incidents newest first (created, then id), searched and paged by cursor.',
    args: {
      filter: t.arg({ type: IncidentSearchInput }),
      first: t.arg.int({ description: pageArgs }),
      after: t.arg.string({ description: 'The endCursor of the page before.' }),
    },
    resolve: (_root, { filter, first, after }, ctx) => {
      const user = requireUser(ctx);
      const f = filter ?? {};
      const assigneeId = f.assignedToMe ? user.id : f.assigneeId ? String(f.assigneeId) : null;
      return pagingGuard(() =>
        searchIncidents(
          ctx.sql,
          companyScope(user),
          { ...f, companyId: f.companyId ? String(f.companyId) : null, assigneeId },
          { first, after },
        ),
      );
    },
  }),
);

builder.queryField('alertsConnection', (t) =>
  t.field({
    type: AlertConnectionRef,
    description: 'The alert explorer: alerts newest first (received, then id), searched and paged by cursor.',
    args: {
      filter: t.arg({ type: AlertSearchInput }),
      first: t.arg.int({ description: pageArgs }),
      after: t.arg.string({ description: 'The endCursor of the page before.' }),
    },
    resolve: (_root, { filter, first, after }, ctx) => {
      const user = requireUser(ctx);
      const f = filter ?? {};
      return pagingGuard(() =>
        searchAlerts(
          ctx.sql,
          companyScope(user),
          { ...f, companyId: f.companyId ? String(f.companyId) : null },
          { first, after },
        ),
      );
    },
  }),
);
