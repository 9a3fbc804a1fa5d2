// `npm run schema:print`: writes the GraphQL schema as SDL to schema.graphql (sorted, so a diff shows only what
// changed). The file is committed; `npm test` fails when it no longer matches the code (test/unit/schema-file.test.ts),
// so a schema change is always reviewed as a schema change.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export async function currentSchemaText(): Promise<string> {
  const { schema } = await import('../api/graphql/schema.ts');
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

/** Null when the committed text matches; else the first line that differs, for the failure message. */
export function schemaStaleness(current: string, committed: string): string | null {
  if (current === committed) return null;
  const [a, b] = [current.split('\n'), committed.split('\n')];
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? b.length : i;
  return (
    `schema.graphql is stale at line ${at + 1}: the code says ${JSON.stringify(a[at] ?? '(end)')}, ` +
    `the file says ${JSON.stringify(b[at] ?? '(end)')}; run \`npm run schema:print\` and commit schema.graphql`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, await currentSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
