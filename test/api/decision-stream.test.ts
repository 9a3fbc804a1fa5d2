// Streaming decisions through the real SDKs against local servers speaking streamGenerateContent (server-sent
// events) and ConverseStream (AWS event-stream framing over h2c): the streamed decision is the one the
// non-streaming path makes from the same answer; the text so far is written a few times a second and NOTIFYd; a
// stream that stalls or breaks falls back to the rules with the reason. Then the real stack: the reasoning reaches a
// decisionProgress subscriber over graphql-ws while the model answers, and only members of the company may follow.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDecisionActivities, loadRunbooks, type DecideInput } from '../../activities/decision.ts';
import { decide } from '../../activities/decision/engine.ts';
import { createProviders } from '../../activities/decision/providers.ts';
import { DECISION_PROGRESS_CHANNEL } from '../../activities/decision/progress.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { partialReasoning } from '../../domain/decision-stream.ts';
import { loadConfig, type DecisionConfig } from '../../lib/config.ts';
import { startBedrockServer } from '../helpers/bedrock-server.ts';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { eventually, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

let sql: Sql;
let gemini: LlmServer;
let bedrock: LlmServer;
const servers = () => ({ gemini, bedrock });

function decisionConfig(timeoutMs = 20_000): DecisionConfig {
  return loadConfig({
    GEMINI_API_KEY: 'test-gemini-key',
    GEMINI_BASE_URL: gemini.url,
    BEDROCK_ENDPOINT: bedrock.url,
    DECISION_TIMEOUT_MS: String(timeoutMs),
  }).decision;
}

function activities(timeoutMs?: number) {
  const config = decisionConfig(timeoutMs);
  return createDecisionActivities({ sql, config, providers: createProviders(config, 'us-east-1') });
}

const REASONING =
  'The disk on srv-db-01 is full again; cleaning temporary files has fixed this before, so it should run now.';

async function companyOn(provider: 'gemini' | 'bedrock', model: string) {
  const c = await createCompany(sql, { settings: { groupWaitSeconds: 0, decision: { provider, model } } });
  const [rb] = await sql<{ id: string }[]>`
    SELECT id FROM runbooks WHERE company_id = ${c.companyId} AND signature = 'disk_full'`;
  const answer = JSON.stringify({ action: 'execute', runbookId: rb!.id, confidence: 0.85, reasoning: REASONING });
  return { ...c, answer };
}

function incident(companyId: string): DecideInput {
  return {
    companyId,
    incidentId: `inc-${Math.random().toString(36).slice(2, 10)}`,
    assetName: 'srv-db-01',
    signature: 'disk_full',
    severity: 'high',
    alertCount: 2,
  };
}

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  [gemini, bedrock] = await Promise.all([startGeminiServer(), startBedrockServer()]);
});
afterAll(async () => {
  await Promise.all([gemini?.close(), bedrock?.close()]);
  await sql?.end({ timeout: 5 });
});

describe('partial reasoning', () => {
  it('reads the reasoning out of an answer cut anywhere, escapes decoded, a cut escape left out', () => {
    const full = JSON.stringify({ action: 'execute', reasoning: 'Line one.\nSaid "go" \u00e9' });
    expect(partialReasoning(full.slice(0, 10))).toBeNull();
    expect(partialReasoning(full)).toBe('Line one.\nSaid "go" é');
    const cut = full.indexOf('\\n') + 1;
    expect(partialReasoning(full.slice(0, cut))).toBe('Line one.');
    for (let i = 0; i <= full.length; i++) {
      const got = partialReasoning(full.slice(0, i));
      if (got !== null) expect('Line one.\nSaid "go" é'.startsWith(got)).toBe(true);
    }
  });
});

describe.each(['gemini', 'bedrock'] as const)('%s streaming', (p) => {
  it('makes the decision the non-streaming path makes, and writes the text so far a few times a second', async () => {
    const model = `stream-${p}`;
    const c = await companyOn(p, model);
    servers()[p].script(model, { text: c.answer, tokensIn: 210, tokensOut: 60, pieces: 8, gapMs: 120 });
    const input = incident(c.companyId);

    const heard: string[] = [];
    const listener = await sql.listen(DECISION_PROGRESS_CHANNEL, async (id) => {
      if (id !== input.incidentId) return;
      const [row] = await sql<{ text: string; done: boolean }[]>`
        SELECT text, done FROM decision_progress WHERE incident_id = ${id}`;
      heard.push(`${row!.done ? 'done' : 'open'}:${row!.text}`);
    });
    const streamed = await activities().decideIncident(input);
    await eventually(async () => heard.some((h) => h.startsWith('done:')), 'the last progress NOTIFY');
    await listener.unlisten();
    const sent = servers()[p].seen.filter((s) => s.model === model);
    expect(sent.map((s) => s.streaming)).toEqual([true]);

    // The same answer, not streamed, through the engine itself.
    const config = decisionConfig();
    const plain = await decide(
      {
        ...input,
        recentAlertMessages: [],
        runbooks: await loadRunbooks(sql, c.companyId),
        settings: { provider: p, model },
      },
      { providers: createProviders(config, 'us-east-1'), config, logFailure: () => {} },
    );
    const server = servers()[p];
    expect(server.seen.filter((s) => s.model === model).at(-1)!.streaming).toBe(false);
    const { decisionId, ...decision } = streamed;
    expect(decisionId).toMatch(/^dec-/);
    expect(decision).toEqual(plain.decision);
    expect(decision).toMatchObject({ source: p, action: 'auto_remediate', confidence: 0.85 });
    const [row] = await sql<{ output: unknown; tokensIn: number; tokensOut: number; fallbackReason: null }[]>`
      SELECT output, tokens_in AS "tokensIn", tokens_out AS "tokensOut", fallback_reason AS "fallbackReason"
        FROM decisions WHERE id = ${decisionId!}`;
    expect(row).toEqual({
      output: plain.record.output,
      tokensIn: 210,
      tokensOut: 60,
      fallbackReason: null,
    });

    // Throttled: fewer writes than pieces, the first empty, some in between, each a prefix of the answer.
    expect(heard[0]).toBe('open:');
    expect(heard.at(-1)).toBe(`done:${c.answer}`);
    const between = heard.slice(1, -1).filter((h) => h !== 'open:' && h !== `open:${c.answer}`);
    expect(between.length).toBeGreaterThan(0);
    expect(heard.length).toBeLessThanOrEqual(8 + 2);
    for (const h of heard) expect(c.answer.startsWith(h.slice(5))).toBe(true);
  });

  it('a stream that stalls midway times out into the rules, saying so', async () => {
    const model = `stall-${p}`;
    const c = await companyOn(p, model);
    servers()[p].script(model, { text: c.answer, pieces: 4, gapMs: 20, breakAfter: 'hold' });
    const input = incident(c.companyId);
    const d = await activities(1_500).decideIncident(input);
    expect(d).toMatchObject({ source: 'rules', provider: p, action: 'auto_remediate' });
    expect(d.fallbackReason).toMatch(/did not answer within 1\.5 seconds; the rules decided instead$/);
    const [progress] = await sql<{ done: boolean }[]>`
      SELECT done FROM decision_progress WHERE incident_id = ${input.incidentId}`;
    expect(progress!.done).toBe(true);
  });

  it('a stream with a frame the SDK cannot read falls back to the rules, saying so', async () => {
    const model = `broken-${p}`;
    const c = await companyOn(p, model);
    servers()[p].script(model, { text: c.answer, pieces: 3, gapMs: 20, breakAfter: 'malformed' });
    const input = incident(c.companyId);
    const d = await activities().decideIncident(input);
    expect(d).toMatchObject({ source: 'rules', provider: p });
    expect(d.fallbackReason).toMatch(/answer stream broke off or could not be read; the rules decided instead$/);
    const [row] = await sql<{ fallbackReason: string }[]>`
      SELECT fallback_reason AS "fallbackReason" FROM decisions WHERE incident_id = ${input.incidentId}`;
    expect(row!.fallbackReason).toBe(d.fallbackReason);
  });
});

describe('decisionProgress over graphql-ws on the real stack', () => {
  let stack: Stack;
  afterAll(async () => {
    await stack?.stop();
  });

  it('streams the reasoning to a member of the company while the model answers; others are refused', async () => {
    stack = await startStack({
      env: { GEMINI_API_KEY: 'stack-key', GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '30000' },
    });
    const c = await companyOn('gemini', 'gem-live');
    const other = await createCompany(sql);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    gemini.script('gem-live', { text: c.answer, pieces: 10, gapMs: 150, gate });
    const tech = await createUser(sql, 'technician', [c.companyId]);
    const outsider = await createUser(sql, 'technician', [other.companyId]);
    const client = (token: string) =>
      createClient({
        url: `${stack.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
    const mine = client(await login(stack.url, tech.email, tech.password));
    const theirs = client(await login(stack.url, outsider.email, outsider.password));
    try {
      expect(
        (
          await postAlert(stack.url, c.apiKey, {
            asset_name: 'srv-db-01',
            signature: 'disk_full',
            severity: 'high',
            message: 'disk 99% on /',
            tool_source: 'Datadog',
          })
        ).status,
      ).toBe(202);
      // The model is asked (its stream waits at the gate); the progress row names the incident.
      const incidentId = await eventually(async () => {
        const [row] = await sql<{ id: string }[]>`
          SELECT incident_id AS id FROM decision_progress WHERE company_id = ${c.companyId}`;
        return row?.id;
      }, 'the decision in progress');

      const query =
        'subscription($i:ID!){ decisionProgress(incidentId:$i) { incidentId provider model reasoning done } }';
      type Update = { incidentId: string; provider: string; model: string; reasoning: string; done: boolean };
      const got: Update[] = [];
      let subscribed = false;
      mine.subscribe<{ decisionProgress: Update }>(
        { query, variables: { i: incidentId } },
        {
          next: (v) => {
            subscribed = true;
            if (v.data) got.push(v.data.decisionProgress);
          },
          error: (e) => got.push({ error: e } as never),
          complete: () => {},
        },
      );
      const refused = await new Promise<unknown>((resolve) =>
        theirs.subscribe(
          { query, variables: { i: incidentId } },
          { next: resolve, error: resolve, complete: () => {} },
        ),
      );
      expect(JSON.stringify(refused)).toContain('NOT_FOUND');
      expect(JSON.stringify(refused)).not.toContain(REASONING.slice(0, 20));

      // The current state arrives first: the subscription is live; now let the model answer.
      await eventually(async () => subscribed, 'the subscription’s first update');
      open();
      await eventually(async () => got.some((u) => u.done), 'the finished answer', 30_000);
      const partial = got.filter((u) => !u.done && u.reasoning.length > 0 && u.reasoning.length < REASONING.length);
      expect(partial.length).toBeGreaterThan(0);
      for (const u of got) {
        expect(u).toMatchObject({ incidentId, provider: 'gemini', model: 'gem-live' });
        expect(REASONING.startsWith(u.reasoning)).toBe(true);
      }
      expect(got.at(-1)).toMatchObject({ done: true, reasoning: REASONING });
      await eventually(async () => {
        const [row] = await sql<{ source: string }[]>`
          SELECT decision->>'source' AS source FROM incidents WHERE id = ${incidentId}`;
        return row?.source === 'gemini';
      }, 'the decision on the incident');
    } finally {
      await Promise.all([mine.dispose(), theirs.dispose()]);
    }
  });
});
