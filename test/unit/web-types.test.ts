// The dashboard's GraphQL types are generated from schema.graphql and its own documents (scripts/web-types.ts):
// every document the dashboard sends is valid against the schema, and the committed generated.ts is current.
import { readFileSync } from 'node:fs';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkDocuments, GENERATED_FILE, generateWebTypes, webDocuments } from '../../scripts/web-types.ts';

const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

describe('the dashboard against the schema', () => {
  it('sends only documents the schema accepts', async () => {
    const documents = await webDocuments();
    expect(documents.size).toBeGreaterThan(50);
    expect(checkDocuments(schema, documents)).toEqual([]);
  });

  it('names the document and the field when one asks for what the schema lacks', () => {
    const bad = new Map([['operations.BROKEN', 'query Broken { incidents { id alertTotal } }']]);
    const errors = checkDocuments(schema, bad);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^operations\.BROKEN: Cannot query field "alertTotal" on type "Incident"/);
  });

  it('has its generated types current (run `npm run web:types` and commit generated.ts)', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(await generateWebTypes());
  }, 60_000);
});
