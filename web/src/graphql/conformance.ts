// Compile-time checks that what the server answers (generated.ts, from schema.graphql and these very documents)
// fits the shapes the dashboard's components are written against (types.ts, tenant-types.ts). A field renamed,
// retyped or made nullable in the schema, or dropped from a document, fails `npm run typecheck` here, naming the
// pair. Nothing here runs.
import type * as G from './generated'
import type * as T from './types'
import type * as TT from './tenant-types'

type Fits<Answer, Shape> = [Answer] extends [Shape] ? true : { answer: Answer; doesNotFit: Shape }
type Check<T extends true> = T
type Item<L> = L extends ReadonlyArray<infer I> ? I : never

export type Conformance = [
  Check<Fits<G.IncidentSummaryFragment, T.IncidentSummary>>,
  Check<Fits<G.IncidentHeaderFragment, T.IncidentHeader>>,
  Check<Fits<NonNullable<G.IncidentQuery['incident']>, T.IncidentHeader>>,
  Check<Fits<G.IncidentUpdatedSubscription['incidentUpdated'], T.IncidentHeader>>,
  Check<Fits<G.IncidentsUpdatedSubscription['incidentUpdated'], T.IncidentSummary>>,
  Check<Fits<Item<G.IncidentsQuery['incidents']>, T.IncidentSummary>>,
  Check<Fits<G.LoginMutation['login'], T.AuthPayload>>,
  Check<Fits<Item<G.CompaniesQuery['companies']>, TT.CompanySummary>>,
  Check<Fits<Item<NonNullable<G.IntegrationsQuery['company']>['integrationKeys']>, TT.IntegrationKey>>,
  Check<Fits<Item<NonNullable<G.AssetsQuery['company']>['assets']>, TT.Asset>>,
  Check<Fits<Item<G.PeopleQuery['people']>, TT.Person>>,
  Check<Fits<Item<NonNullable<G.SilencesQuery['company']>['silences']>, TT.Silence>>,
  Check<Fits<Item<G.MySessionsQuery['mySessions']>, TT.SessionInfo>>,
  Check<Fits<Item<NonNullable<G.InhibitionRulesQuery['company']>['inhibitionRules']>, TT.InhibitionRule>>,
  Check<Fits<G.CreateInhibitionRuleMutation['createInhibitionRule'], TT.InhibitionRule>>,
  // Alert.status is a plain String in the schema, so only the inhibition of an alert row is checked.
  Check<
    Fits<
      Item<NonNullable<G.IncidentAlertsPageQuery['incident']>['alertsConnection']['edges']>['node']['inhibition'],
      T.Alert['inhibition']
    >
  >,
  Check<Fits<NonNullable<G.IncidentExtrasQuery['incident']>['inhibitedCount'], T.Incident['inhibitedCount']>>,
]
