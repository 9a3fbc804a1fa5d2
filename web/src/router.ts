// The dashboard's routes (vue-router). Hash history keeps every place in the URL hash (#/companies/<id>/people), so
// a page can be linked and survives reload while the server only ever serves index.html. Pages that filter keep their
// filters in the query (#/alerts?q=disk&severity=high, see useQueryFilters): a link shares them and back/forward
// restores them.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import AccountPage from './components/account/AccountPage.vue'
import AlertsPage from './components/alerts/AlertsPage.vue'
import ApprovalsPage from './components/approvals/ApprovalsPage.vue'
import AuditLogPage from './components/audit/AuditLogPage.vue'
import CompaniesPage from './components/companies/CompaniesPage.vue'
import CompanyPage from './components/companies/CompanyPage.vue'
import IncidentsPage from './components/IncidentsPage.vue'
import NotFoundPage from './components/NotFoundPage.vue'
import SetPasswordPage from './components/SetPasswordPage.vue'
import { single } from './composables/useQueryFilters'
import { lastMonth } from './graphql/report-operations'

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown signed in or not, without the top bar and without waiting for the session (an invitation link). */
    public?: boolean
    /** The top bar's section this page belongs to. */
    section?: string
    /** Laid out full width (list and detail side by side) rather than as a page. */
    wide?: boolean
    /** Only admins see it; anyone else gets "not found", as the server would refuse its data anyway. */
    adminOnly?: boolean
  }
}

const routes: RouteRecordRaw[] = [
  // The landing page. The charts library is large: it loads with the overview, not with the sign-in page.
  {
    path: '/',
    name: 'overview',
    component: () => import('./components/overview/OverviewPage.vue'),
    meta: { section: 'overview' },
  },
  // Links from before the overview was the landing page.
  { path: '/overview', redirect: (to) => ({ name: 'overview', query: to.query }) },
  { path: '/incidents/:id?', name: 'incidents', component: IncidentsPage, meta: { section: 'incidents', wide: true } },
  { path: '/alerts', name: 'alerts', component: AlertsPage, meta: { section: 'alerts' } },
  { path: '/approvals', name: 'approvals', component: ApprovalsPage, meta: { section: 'approvals' } },
  { path: '/companies', name: 'companies', component: CompaniesPage, meta: { section: 'companies' } },
  {
    path: '/companies/:id/:tab?',
    name: 'company',
    component: CompanyPage,
    props: (r) => ({ id: single(r.params.id), tab: single(r.params.tab) || 'settings' }),
    meta: { section: 'companies' },
  },
  {
    path: '/reports/:companyId/:month?',
    name: 'report',
    component: () => import('./components/reports/ReportPage.vue'),
    props: (r) => ({ companyId: single(r.params.companyId), month: single(r.params.month) || lastMonth() }),
    meta: { section: 'overview' },
  },
  { path: '/audit', name: 'audit', component: AuditLogPage, meta: { section: 'audit', adminOnly: true } },
  { path: '/account', name: 'account', component: AccountPage, meta: { section: 'account' } },
  {
    path: '/set-password',
    name: 'set-password',
    component: SetPasswordPage,
    props: (r) => ({ token: single(r.query.token) }),
    meta: { public: true },
  },
  { path: '/:unknown(.*)*', name: 'not-found', component: NotFoundPage },
]

export const router = createRouter({ history: createWebHashHistory(), routes })
