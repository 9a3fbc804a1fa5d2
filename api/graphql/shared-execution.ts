// One execution of a live incident event for every subscriber who asked the same thing. The incident feed hands the
// same record to every subscriber it concerns (api/incident-feed.ts); executing each subscriber's selection over it
// is what then costs, a thousand times per change on a busy install. Subscribers whose operation (the same parsed
// document: Yoga caches documents by their text), operation name, variables and role are the same get the same
// answer, so it is executed for the first and handed to the rest. The role is in the key because it is all an
// incident's fields read of the viewer (`viewerCanApprove`, MSP admins' `Execution.internalDetail`); who may see the
// incident at all was decided before, per subscriber, in memory.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './builder.ts';

const FIELD = 'incidentUpdated';

/** Whether the operation subscribes to the incident feed (its one root field is incidentUpdated). */
function followsIncidents(args: ExecutionArgs): boolean {
  const op = args.document.definitions.find(
    (d) => d.kind === 'OperationDefinition' && (!args.operationName || d.name?.value === args.operationName),
  );
  if (op?.kind !== 'OperationDefinition' || op.operation !== 'subscription') return false;
  const [field, ...rest] = op.selectionSet.selections;
  return rest.length === 0 && field?.kind === 'Field' && field.name.value === FIELD;
}

const documentIds = new WeakMap<object, number>();
let nextDocumentId = 0;

/** The subscribers' shared answers per event record, by what they asked; gone with the record. */
const answers = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();

function keyOf(args: ExecutionArgs): string {
  let id = documentIds.get(args.document);
  if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
  const role = (args.contextValue as GraphQLContext).user?.role ?? '';
  return `${id}|${args.operationName ?? ''}|${role}|${JSON.stringify(args.variableValues ?? {})}`;
}

function shared(args: ExecutionArgs, key: string, payload: unknown): ExecutionResult | Promise<ExecutionResult> {
  if (payload === null || typeof payload !== 'object') return execute({ ...args, rootValue: payload });
  let byKey = answers.get(payload);
  if (!byKey) answers.set(payload, (byKey = new Map()));
  let answer = byKey.get(key);
  if (!answer) byKey.set(key, (answer = execute({ ...args, rootValue: payload })));
  return answer;
}

async function subscribeShared(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source;
  const events = source[Symbol.asyncIterator]();
  const key = keyOf(args);
  const stream: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const e = await events.next();
      if (e.done) return { value: undefined, done: true };
      return { value: await shared(args, key, e.value), done: false };
    },
    async return() {
      await events.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

/** Subscriptions to incidentUpdated execute each event once per (document, variables, role), not per subscriber. */
export function useSharedExecution(): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      if (followsIncidents(args)) setSubscribeFn(subscribeShared as never);
    },
  };
}
