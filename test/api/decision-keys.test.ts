// A company's own Gemini key: set by its admin over GraphQL, sealed in the database, shown as a hint only, audited
// with the hint only, and used for that company's decisions (the local Gemini server sees it) while other companies
// keep the install's key. No GraphQL answer, audit row or decision row ever holds the key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionActivities } from '../../activities/decision.ts';
import { createProviders } from '../../activities/decision/providers.ts';
import { checkGeminiKey, keyHint } from '../../domain/decision-key.ts';
import { loadConfig } from '../../lib/config.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const COMPANY_KEY = 'AIzaCompanyOwnKey-0123456789abcdefWXYZ';
const INSTALL_KEY = 'install-wide-gemini-key-000';

let stack: Stack;
let gemini: LlmServer;
/** Every GraphQL answer this file got, to search for the key at the end. */
const answers: string[] = [];

async function gql<T>(query: string, variables: Record<string, unknown>, token: string) {
  const r = await graphql<T>(stack.url, query, variables, token);
  answers.push(JSON.stringify(r));
  return r;
}

beforeAll(async () => {
  gemini = await startGeminiServer();
  stack = await startStack({
    env: { GEMINI_API_KEY: INSTALL_KEY, GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '20000' },
  });
});
afterAll(async () => {
  await stack?.stop();
  await gemini?.close();
});

describe('the key itself', () => {
  it('accepts a pasted key with spaces around it, refuses odd ones without repeating them, hints the last four', () => {
    expect(checkGeminiKey(`  ${COMPANY_KEY}\n`)).toEqual({ ok: true, key: COMPANY_KEY });
    const short = checkGeminiKey('abc');
    expect(short).toMatchObject({ ok: false });
    const odd = checkGeminiKey('key with spaces inside it!!');
    expect(odd.ok ? '' : odd.message).not.toContain('spaces inside');
    expect(keyHint(COMPANY_KEY)).toBe('…WXYZ');
  });
});

describe("a company's own Gemini key", () => {
  it('is set by its admin, sealed, hinted, audited, and used for its decisions only', async () => {
    const own = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-own-key' } },
    });
    const other = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-install-key' } },
    });
    const [rb] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${own.companyId} AND signature = 'disk_full'`;
    const [rbOther] = await stack.sql<{ id: string }[]>`
      SELECT id FROM runbooks WHERE company_id = ${other.companyId} AND signature = 'disk_full'`;
    const answer = (id: string) =>
      JSON.stringify({ action: 'execute', runbookId: id, confidence: 0.9, reasoning: 'Disk full.' });
    gemini.script('gem-own-key', { text: answer(rb!.id) });
    gemini.script('gem-install-key', { text: answer(rbOther!.id) });

    const admin = await createUser(stack.sql, 'company_admin', [own.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const bad = await gql(
      'mutation($c:ID!,$k:String!){ setGeminiApiKey(companyId:$c, apiKey:$k) { geminiKeyHint } }',
      {
        c: own.companyId,
        k: 'short',
      },
      token,
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'apiKey' }] });

    const set = await gql<{ setGeminiApiKey: { geminiKeyHint: string; installGeminiKey: boolean } }>(
      'mutation($c:ID!,$k:String!){ setGeminiApiKey(companyId:$c, apiKey:$k) { geminiKeyHint installGeminiKey bedrock } }',
      { c: own.companyId, k: COMPANY_KEY },
      token,
    );
    expect(set.data?.setGeminiApiKey).toMatchObject({ geminiKeyHint: '…WXYZ', installGeminiKey: true });

    // Sealed at rest: the column opens to the key with ENCRYPTION_KEY and does not hold it in clear.
    const [stored] = await stack.sql<{ sealed: string; hint: string }[]>`
      SELECT gemini_key_sealed AS sealed, gemini_key_hint AS hint FROM companies WHERE id = ${own.companyId}`;
    expect(stored!.sealed).not.toContain(COMPANY_KEY);
    expect(createSecretBox(TEST_ENCRYPTION_KEY).open(stored!.sealed)).toBe(COMPANY_KEY);
    expect(stored!.hint).toBe('…WXYZ');

    const read = await gql<{ company: { decisionKeys: { geminiKeyHint: string } } }>(
      'query($c:ID!){ company(id:$c) { settings decisionKeys { geminiKeyHint installGeminiKey bedrock } } }',
      { c: own.companyId },
      token,
    );
    expect(read.data?.company.decisionKeys.geminiKeyHint).toBe('…WXYZ');

    // The company's alert goes to Gemini with its own key; the other company's with the install's.
    for (const c of [own, other]) {
      const posted = await postAlert(stack.url, c.apiKey, {
        asset_name: 'srv-key-01',
        signature: 'disk_full',
        severity: 'high',
        message: 'disk 97%',
        tool_source: 'Datadog',
      });
      expect(posted.status).toBe(202);
    }
    const ownCall = await eventually(async () => gemini.seen.find((s) => s.model === 'gem-own-key'), 'own call');
    const otherCall = await eventually(async () => gemini.seen.find((s) => s.model === 'gem-install-key'), 'other');
    expect(ownCall.headers['x-goog-api-key']).toBe(COMPANY_KEY);
    expect(otherCall.headers['x-goog-api-key']).toBe(INSTALL_KEY);
    const decided = await eventually(async () => {
      const r = await gql<{ incidents: Array<{ decision: { source: string } | null; decisions: unknown[] }> }>(
        '{ incidents { decision { source reasoning } decisions(limit: 5) { provider model reasoning fallbackReason } } }',
        {},
        token,
      );
      return r.data?.incidents.find((i) => i.decision?.source === 'gemini');
    }, 'the decision by Gemini under the company key');
    expect(decided.decisions).toHaveLength(1);

    // Audited with the hint only; replacing and removing are audited too.
    const again = await gql(
      'mutation($c:ID!,$k:String!){ setGeminiApiKey(companyId:$c, apiKey:$k) { geminiKeyHint } }',
      { c: own.companyId, k: `${COMPANY_KEY}2` },
      token,
    );
    expect(again.errors).toBeUndefined();
    const removed = await gql<{ removeGeminiApiKey: { geminiKeyHint: string | null } }>(
      'mutation($c:ID!){ removeGeminiApiKey(companyId:$c) { geminiKeyHint } }',
      { c: own.companyId },
      token,
    );
    expect(removed.data?.removeGeminiApiKey.geminiKeyHint).toBeNull();
    const audit = await gql<{ auditLog: Array<{ action: string; data: Record<string, unknown> }> }>(
      'query($c:ID!){ auditLog(companyId:$c) { action data } }',
      { c: own.companyId },
      token,
    );
    const entries = audit.data!.auditLog.filter((e) => e.action.startsWith('decision_key.'));
    expect(entries.map((e) => e.action)).toEqual(['decision_key.removed', 'decision_key.replaced', 'decision_key.set']);
    expect(entries[2]!.data).toEqual({ provider: 'gemini', hint: '…WXYZ' });
    const leaked = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM audit_log WHERE data::text LIKE ${`%${COMPANY_KEY.slice(0, 20)}%`}`;
    expect(leaked[0]!.n).toBe(0);

    // Nothing GraphQL answered, nor any decision row, holds the key.
    const rows = await stack.sql`SELECT * FROM decisions WHERE company_id = ${own.companyId}`;
    for (const text of [...answers, JSON.stringify(rows)]) {
      expect(text).not.toContain(COMPANY_KEY);
      expect(text).not.toContain(COMPANY_KEY.slice(0, 20));
    }
  });

  it('a key this install cannot open sends the decision to the rules, saying so', async () => {
    const c = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-unreadable' } },
    });
    const sealedElsewhere = createSecretBox('another-install-encryption-key-32-chars!').seal(COMPANY_KEY);
    await stack.sql`UPDATE companies SET gemini_key_sealed = ${sealedElsewhere}, gemini_key_hint = '…WXYZ'
      WHERE id = ${c.companyId}`;
    const config = loadConfig({ GEMINI_API_KEY: INSTALL_KEY, GEMINI_BASE_URL: gemini.url }).decision;
    const acts = createDecisionActivities({
      sql: stack.sql,
      config,
      providers: createProviders(config, 'us-east-1'),
      secrets: createSecretBox(TEST_ENCRYPTION_KEY),
    });
    const before = gemini.seen.length;
    const d = await acts.decideIncident({
      companyId: c.companyId,
      incidentId: `inc-key-${Date.now()}`,
      assetName: 'srv-1',
      signature: 'disk_full',
      severity: 'high',
      alertCount: 1,
    });
    expect(d).toMatchObject({ source: 'rules', provider: 'gemini' });
    expect(d.fallbackReason).toBe(
      "this company's own Gemini key cannot be opened on this install (set it again); the rules decided instead",
    );
    expect(gemini.seen.length).toBe(before);
  });

  it('a key Gemini refuses is blamed on the company key, not the install', async () => {
    const c = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, decision: { provider: 'gemini', model: 'gem-refused' } },
    });
    gemini.script('gem-refused', { status: 403, body: { error: { code: 403, message: 'API key not valid' } } });
    await stack.sql`UPDATE companies SET gemini_key_sealed = ${createSecretBox(TEST_ENCRYPTION_KEY).seal(COMPANY_KEY)},
      gemini_key_hint = '…WXYZ' WHERE id = ${c.companyId}`;
    const config = loadConfig({ GEMINI_API_KEY: INSTALL_KEY, GEMINI_BASE_URL: gemini.url }).decision;
    const acts = createDecisionActivities({
      sql: stack.sql,
      config,
      providers: createProviders(config, 'us-east-1'),
      secrets: createSecretBox(TEST_ENCRYPTION_KEY),
    });
    const d = await acts.decideIncident({
      companyId: c.companyId,
      incidentId: `inc-key-${Date.now()}`,
      assetName: 'srv-1',
      signature: 'disk_full',
      severity: 'high',
      alertCount: 1,
    });
    expect(d.fallbackReason).toBe("Gemini did not accept this company's own key; the rules decided instead");
    expect(gemini.seen.at(-1)!.headers['x-goog-api-key']).toBe(COMPANY_KEY);
  });
});
