// Registers the incident search attributes (domain/search-attributes.ts) in the worker's namespace, once per start:
// the dev server, a real cluster and compose alike. Idempotent (only the missing ones are added). Returns whether
// they all exist, which the worker passes to its runs: a run upserting an unknown attribute would fail every task.
import type { NativeConnection } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { INCIDENT_SEARCH_ATTRIBUTES } from '../domain/search-attributes.ts';

export async function ensureSearchAttributes(
  connection: Pick<NativeConnection, 'operatorService'>,
  namespace: string,
  log: (line: string) => void = (l) => console.warn(l),
): Promise<boolean> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = INCIDENT_SEARCH_ATTRIBUTES.filter((name) => !customAttributes?.[name]);
    if (missing.length === 0) return true;
    // INDEXED_VALUE_TYPE_KEYWORD, by value: the proto package is CommonJS, whose enum objects Node's ESM loader
    // does not expose as named exports (a type import is all this file needs from it).
    const KEYWORD = 2 as temporal.api.enums.v1.IndexedValueType;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
    return true;
  } catch (err) {
    // A server that refuses (no operator rights, a test server without the API): runs simply carry none.
    log(`[worker] incident search attributes not registered: ${(err as Error).message}`);
    return false;
  }
}
