// GraphQL cost in rows (api/graphql/cost.ts) on the real schema: every list of objects has a bound, list sizes
// multiply what each item asks for, variables count, aliases and fragments count where they are used, and every
// query the dashboard sends stays far below the ceiling while the fifteen-alias storm is far above it. Also the
// subscription slots ws.ts takes per socket and per user.
import { getNamedType, getNullableType, isCompositeType, isListType, isObjectType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentCost, operationCost, tooCostly } from '../../api/graphql/cost.ts';
import { GRAPHQL_LIMITS } from '../../api/graphql/limits.ts';
import { LIST_BOUNDS } from '../../api/graphql/list-bounds.ts';
import { schema } from '../../api/graphql/schema.ts';
import { SubscriptionSlots } from '../../api/graphql/subscription-slots.ts';
import * as accountOps from '../../web/src/graphql/account-operations.ts';
import * as labOps from '../../web/src/graphql/lab-operations.ts';
import * as notificationOps from '../../web/src/graphql/notification-operations.ts';
import * as onCallOps from '../../web/src/graphql/on-call-operations.ts';
import * as incidentOps from '../../web/src/graphql/operations.ts';
import * as tenantOps from '../../web/src/graphql/tenant-operations.ts';

const cost = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  operationCost(schema, parse(query), operationName, variables);

/** Every "Type.field" of the schema whose value is a list of objects. */
function objectLists(): string[] {
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const f of Object.values(type.getFields())) {
      if (isListType(getNullableType(f.type)) && isCompositeType(getNamedType(f.type)))
        out.push(`${type.name}.${f.name}`);
    }
  }
  return out.sort();
}

describe('list bounds', () => {
  it('bounds every list of objects in the schema, and names only fields that exist', () => {
    const lists = objectLists();
    expect(lists.filter((f) => !LIST_BOUNDS[f])).toEqual([]);
    expect(Object.keys(LIST_BOUNDS).filter((f) => !lists.includes(f))).toEqual([]);
  });

  it('names only size arguments the fields take', () => {
    for (const [key, bound] of Object.entries(LIST_BOUNDS)) {
      if (!bound.arg) continue;
      const [type, field] = key.split('.') as [string, string];
      const owner = schema.getType(type);
      const args = isObjectType(owner) ? owner.getFields()[field]?.args.map((a) => a.name) : [];
      expect(args, key).toContain(bound.arg);
    }
  });
});

describe('operationCost', () => {
  const STORM = Array.from(
    { length: 15 },
    (_, i) => `a${i}: incidents(limit: 500) { alerts(limit: 500) { message } timeline { message } }`,
  ).join(' ');

  it('counts the fifteen-alias storm in millions of rows, and refuses it with the cost and the ceiling', () => {
    const storm = cost(`{ ${STORM} }`)!;
    // Each incident: itself, 500 alerts and the timeline's default 200 events.
    expect(storm).toBe(15 * 500 * (1 + 500 + 200));
    expect(storm).toBeGreaterThan(GRAPHQL_LIMITS.maxCost);
    const refusal = tooCostly(storm, GRAPHQL_LIMITS.maxCost);
    expect(refusal.message).toContain('5,257,500 rows');
    expect(refusal.message).toContain('the ceiling is 50,000');
    expect(refusal.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'costLimit', cost: storm });
  });

  it('counts a limit passed as a variable, and a variable left out at its default', () => {
    const q = 'query($n: Int, $m: Int) { incidents(limit: $n) { alerts(limit: $m) { id } } }';
    expect(cost(q, { n: 10, m: 5 })).toBe(10 * (1 + 5));
    expect(cost(q, { n: 500, m: 500 })).toBe(500 * 501);
    // incidents has no schema default: 100, as its resolver; alerts declares 100.
    expect(cost(q, {})).toBe(100 * 101);
    expect(cost(q, { n: null, m: null })).toBe(100 * 101);
    const timeline = 'query($t: Int) { incident(id: "i") { timeline(limit: $t) { seq } } }';
    expect(cost(timeline, { t: 3 })).toBe(1 + 3);
  });

  it('clamps a size to what the resolver returns at most, and at least one', () => {
    expect(cost('{ incidents(limit: 100000) { id } }')).toBe(500);
    expect(cost('{ incidents(limit: -5) { id } }')).toBe(1);
    expect(cost('{ incident(id: "i") { timeline(limit: 99999) { seq } } }')).toBe(1 + 1000);
  });

  it('counts fragments where they are spread, inline fragments and aliases each', () => {
    const fragment = 'fragment A on Incident { alerts(limit: 10) { id } }';
    expect(cost(`{ incidents(limit: 2) { ...A } } ${fragment}`)).toBe(2 * (1 + 10));
    expect(cost(`{ x: incidents(limit: 2) { ...A } y: incidents(limit: 2) { ...A ...A } } ${fragment}`)).toBe(
      2 * 11 + 2 * (1 + 20),
    );
    expect(
      cost('{ incident(id: "i") { ... on Incident { a: alerts(limit: 3) { id } b: alerts(limit: 4) { id } } } }'),
    ).toBe(1 + 3 + 4);
  });

  it('walks a fragment spread many times over once (a document of fragments doubling 30 times)', () => {
    const levels = Array.from({ length: 30 }, (_, k) => `fragment F${k} on Query { ...F${k + 1} ...F${k + 1} }`);
    const doc = `{ ...F0 } ${levels.join(' ')} fragment F30 on Query { me { id } }`;
    expect(cost(doc)).toBe(2 ** 30);
  });

  it('sizes a wrapper list by its parent argument (mutedAlerts(limit) { alerts })', () => {
    expect(cost('{ company(id: "c") { mutedAlerts(limit: 7) { total alerts { id } } } }')).toBe(1 + 1 + 7);
    expect(cost('{ company(id: "c") { mutedAlerts { alerts { id } } } }')).toBe(1 + 1 + 100);
  });

  it('counts scalars, scalar lists and introspection as nothing, and objects as one row', () => {
    expect(cost('{ me { id companyIds } }')).toBe(1);
    expect(cost('{ __schema { types { name fields { name } } } }')).toBe(0);
    expect(cost('{ unreadNotificationCount }')).toBe(0);
  });

  it('counts only the operation that runs, and leaves invalid variables to execution', () => {
    const doc = 'query Small { me { id } } query Big { incidents(limit: 500) { id } }';
    expect(cost(doc, {}, 'Small')).toBe(1);
    expect(cost(doc, {}, 'Big')).toBe(500);
    expect(cost('query($n: Int) { incidents(limit: $n) { id } }', { n: 'many' })).toBeNull();
  });

  it('passes every query, mutation and subscription the dashboard sends, with room to spare', () => {
    // The variables the dashboard passes that size a list (useIncidents' 200, the audit log's page of 100).
    const sized: Record<string, Record<string, unknown>> = { INCIDENTS: { limit: 200 }, AUDIT_LOG: { limit: 100 } };
    const modules = [incidentOps, tenantOps, labOps, onCallOps, notificationOps, accountOps];
    const costs = modules.flatMap((m) =>
      Object.entries(m)
        .filter(
          (e): e is [string, string] =>
            typeof e[1] === 'string' && /^\s*(query|mutation|subscription|fragment)/m.test(e[1]),
        )
        .map(([name, q]) => [name, documentCost(schema, parse(q), null, sized[name] ?? {})] as const),
    );
    expect(costs.length).toBeGreaterThan(40);
    for (const [name, c] of costs) {
      expect(c, name).not.toBeNull();
      expect(c!, name).toBeLessThanOrEqual(GRAPHQL_LIMITS.maxCost / 5);
    }
  });
});

describe('SubscriptionSlots', () => {
  it('caps one socket and one user, and gives slots back as subscriptions end or sockets close', () => {
    const slots = new SubscriptionSlots({ perSocket: 2, perUser: 3 });
    const a = {};
    const b = {};
    expect(slots.take(a, '1', 'u')).toBeNull();
    expect(slots.take(a, '2', 'u')).toBeNull();
    expect(slots.take(a, '3', 'u')?.extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      limit: 'maxSubscriptionsPerSocket',
    });
    expect(slots.take(b, '1', 'u')).toBeNull();
    const refused = slots.take(b, '2', 'u');
    expect(refused?.extensions).toMatchObject({ limit: 'maxSubscriptionsPerUser' });
    expect(refused?.message).toMatch(/^You already have 3 live subscriptions across your connections/);
    // Another user on the same numbers is not held back by this one.
    expect(slots.take({}, '1', 'v')).toBeNull();
    slots.release(a, '1');
    slots.release(a, '1');
    expect(slots.heldBy('u')).toBe(2);
    expect(slots.take(b, '2', 'u')).toBeNull();
    slots.releaseSocket(b);
    slots.releaseSocket(a);
    expect(slots.heldBy('u')).toBe(0);
  });
});
