// The incident page a page at a time, live (issue 15 item 4), in Chromium against the real stack. Live events carry
// the incident's header only; the page reads its timeline and alerts by cursor page, newest first, reads the newest
// page again when a header says they changed, and keeps the older pages a person already loaded.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_CHANNEL } from '../../db/channels.ts';
import { WEB_DIST } from '../../api/server.ts';
import type { Sql } from '../../db/sql.ts';
import { launchChromium, signedInPage } from '../helpers/browser.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { insertIncident } from '../helpers/incidents.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const UI_TIMEOUT = 30_000;
// More rows than one page of the detail page (50), fewer than two.
const ROWS = 70;

/** `n` alerts of the incident, received a minute apart two hours ago (the last one newest), already routed. */
async function insertAlerts(sql: Sql, companyId: string, incidentId: string, prefix: string, n: number) {
  await sql`
    INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
      tool_source, received_at, routed_at, incident_id)
    SELECT ${prefix} || '-' || g, ${companyId}, ${prefix} || '-' || g, i.asset_name, i.signature, i.aggregation_key,
      'low', ${`${prefix} alert `} || g, 'Fixture', now() - interval '2 hours' + g * interval '1 minute',
      now() - interval '2 hours' + g * interval '1 minute', ${incidentId}
    FROM generate_series(1, ${n}) g, incidents i WHERE i.id = ${incidentId}`;
}

/** `n` timeline events numbered `first`… in order, an hour old. */
async function insertEvents(sql: Sql, incidentId: string, prefix: string, first: number, n: number) {
  await sql`
    INSERT INTO incident_events (incident_id, seq, kind, message, created_at)
    SELECT ${incidentId}, ${first} - 1 + g, 'note', ${`${prefix} event `} || g,
      now() - interval '1 hour' + g * interval '1 second'
    FROM generate_series(1, ${n}) g`;
}

/** Waits for the page: each live change is a header, then a page read by query, on a machine other tests load. */
const poll = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: UI_TIMEOUT });

/** The message cells of the alert rows, top to bottom. */
const alertMessages = (detail: Locator) => detail.getByTestId('alert-row').locator('td:last-child').allTextContents();
const timelineMessages = (detail: Locator) =>
  detail.locator('[data-testid="timeline-event"] .message').allTextContents();

describe('incident page by page, live (real browser)', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let company: TestCompany;
  let tech: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`The dashboard is not built (${WEB_DIST}); run: npm run build:web`);
    }
    stack = await startStack();
    company = await createCompany(stack.sql, { name: 'Paged Dental' });
    tech = await createUser(stack.sql, 'technician', [company.companyId]);
    browser = await launchChromium();
    page = await signedInPage(browser, `${stack.url}/#/incidents`, tech, {
      pageErrors,
      timeout: UI_TIMEOUT,
    });
  });

  afterEach(() => expect(pageErrors, 'uncaught page errors').toEqual([]));

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Opens the incident's page and waits until the live subscription is up (nothing pushed is missed after). */
  async function open(incidentId: string): Promise<Locator> {
    await page.goto(`${stack.url}/#/incidents/${encodeURIComponent(incidentId)}`);
    const detail = page.getByTestId('incident-detail');
    await detail.getByTestId('incident-status').waitFor({ state: 'visible' });
    await page.locator('.live.on').waitFor({ state: 'visible' });
    return detail;
  }

  it('shows the newest page, loads older pages, and merges live changes above them', async () => {
    const asset = `paged-${randomUUID().slice(0, 6)}`;
    const incidentId = await insertIncident(stack.sql, company.companyId, asset);
    await insertAlerts(stack.sql, company.companyId, incidentId, asset, ROWS);
    await insertEvents(stack.sql, incidentId, asset, 1, ROWS);
    await stack.sql`UPDATE incidents SET alert_count = ${ROWS} WHERE id = ${incidentId}`;
    const navigations: string[] = [];
    const detail = await open(incidentId);
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });

    // The newest page of each, newest first.
    await poll(() => detail.getByTestId('alert-row').count()).toBe(50);
    await poll(() => detail.getByTestId('timeline-event').count()).toBe(50);
    expect((await alertMessages(detail))[0]).toBe(`${asset} alert ${ROWS}`);
    expect((await timelineMessages(detail))[0]).toBe(`${asset} event ${ROWS}`);
    expect(await alertMessages(detail)).not.toContain(`${asset} alert 1`);
    expect(await detail.getByTestId('alerts-shown').textContent()).toBe('The newest 50 shown');

    // "Load more" and "Load older" read the page before; then there is nothing older.
    await detail.getByTestId('alerts-load-more').click();
    await poll(() => detail.getByTestId('alert-row').count()).toBe(ROWS);
    await detail.getByTestId('timeline-load-older').click();
    await poll(() => detail.getByTestId('timeline-event').count()).toBe(ROWS);
    expect((await alertMessages(detail)).at(-1)).toBe(`${asset} alert 1`);
    expect((await timelineMessages(detail)).at(-1)).toBe(`${asset} event 1`);
    expect(await detail.getByTestId('alerts-load-more').count()).toBe(0);
    expect(await detail.getByTestId('alerts-shown').count()).toBe(0);
    expect(await detail.getByTestId('timeline-load-older').count()).toBe(0);

    // Three changes saved one after the other, as the incident store does (row, then NOTIFY of the id): each brings
    // a new alert and a new event. The page gets headers only and reads the newest pages.
    for (let n = 1; n <= 3; n++) {
      await stack.sql.begin(async (tx) => {
        await tx`
          INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
            tool_source, received_at, routed_at, incident_id)
          SELECT ${`${asset}-live-${n}`}, company_id, ${`${asset}-live-${n}`}, asset_name, signature, aggregation_key,
            'high', ${`${asset} live alert ${n}`}, 'Fixture', now(), now(), id
          FROM incidents WHERE id = ${incidentId}`;
        await tx`INSERT INTO incident_events (incident_id, seq, kind, message, created_at)
          VALUES (${incidentId}, ${ROWS + n}, 'alert_added', ${`${asset} live event ${n}`}, now())`;
        await tx`UPDATE incidents SET alert_count = alert_count + 1, updated_at = clock_timestamp(),
          version = version + 1 WHERE id = ${incidentId}`;
        await tx`SELECT pg_notify(${INCIDENT_CHANNEL}, ${incidentId})`;
      });
    }
    await poll(() => detail.getByTestId('alert-row').count()).toBe(ROWS + 3);
    await poll(() => detail.getByTestId('timeline-event').count()).toBe(ROWS + 3);
    const alertsNow = await alertMessages(detail);
    const eventsNow = await timelineMessages(detail);
    expect(alertsNow.slice(0, 3)).toEqual([3, 2, 1].map((n) => `${asset} live alert ${n}`));
    expect(eventsNow.slice(0, 3)).toEqual([3, 2, 1].map((n) => `${asset} live event ${n}`));
    // The older pages are still there, once each, in order.
    expect(alertsNow.slice(3)).toEqual(Array.from({ length: ROWS }, (_, i) => `${asset} alert ${ROWS - i}`));
    expect(eventsNow.slice(3)).toEqual(Array.from({ length: ROWS }, (_, i) => `${asset} event ${ROWS - i}`));
    expect(navigations, 'the page must not reload').toEqual([]);
  });

  it("keeps the loaded older pages when a person's action answers and the workflow's events follow", async () => {
    const asset = `acked-${randomUUID().slice(0, 6)}`;
    // A real incident (its workflow escalates it: no runbook for this signature) with a long history before it.
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: asset,
      signature: 'queue_stuck',
      severity: 'high',
      message: `${asset} queue stuck`,
      tool_source: 'Datadog',
    });
    expect(res.status).toBe(202);
    const incidentId = await eventually(async () => {
      const [row] = await stack.sql<{ id: string }[]>`
        SELECT id FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset}
          AND status = 'escalated'`;
      return row?.id;
    }, 'the escalated incident');
    // Older history: alerts received an hour ago, and events numbered below the workflow's own (it counts from 1).
    await insertAlerts(stack.sql, company.companyId, incidentId, asset, ROWS);
    await insertEvents(stack.sql, incidentId, asset, -ROWS, ROWS);

    const detail = await open(incidentId);
    await poll(() => detail.getByTestId('incident-status').textContent()).toBe('Escalated');
    await detail.getByTestId('alerts-load-more').click();
    await poll(() => detail.getByTestId('alert-row').count()).toBe(ROWS + 1);
    await detail.getByTestId('timeline-load-older').click();
    await poll(() => detail.getByTestId('timeline-load-older').count()).toBe(0);
    const eventsBefore = await timelineMessages(detail);
    expect(eventsBefore.at(-1)).toBe(`${asset} event 1`);

    await detail.getByTestId('acknowledge-button').click();
    await poll(() => detail.getByTestId('incident-status').textContent()).toBe('Acknowledged');
    await poll(async () => (await timelineMessages(detail)).some((m) => m.startsWith('Acknowledged by '))).toBe(true);
    const eventsAfter = await timelineMessages(detail);
    // Everything shown before is still shown, below the new event, and nothing twice.
    expect(eventsAfter.slice(eventsAfter.length - eventsBefore.length)).toEqual(eventsBefore);
    expect(eventsAfter.filter((m) => m.startsWith(`${asset} event `))).toHaveLength(ROWS);
    expect(await detail.getByTestId('alert-row').count()).toBe(ROWS + 1);
    expect((await alertMessages(detail)).at(-1)).toBe(`${asset} alert 1`);
  });
});
