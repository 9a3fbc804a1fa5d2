// The committed schema.graphql is the schema the code serves: a change to a type, field or argument that is not
// printed and committed fails here, naming the line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentSchemaText, SCHEMA_FILE, schemaStaleness } from '../../scripts/print-schema.ts';

describe('schema.graphql', () => {
  it('matches the schema the code builds', async () => {
    expect(schemaStaleness(await currentSchemaText(), readFileSync(SCHEMA_FILE, 'utf8'))).toBeNull();
  });

  it('fails on a deliberately changed field, naming where', async () => {
    const current = await currentSchemaText();
    const changed = current.replace('  alertCount: Int!', '  alertCount: Float!');
    expect(changed).not.toBe(current);
    expect(schemaStaleness(current, changed)).toMatch(/stale at line \d+: the code says " {2}alertCount: Int!"/);
  });
});
