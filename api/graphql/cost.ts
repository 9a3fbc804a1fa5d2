// GraphQL cost in rows: what a request makes the server read and serialize, counted before any resolver runs.
// An object costs 1 plus its selection; a list of objects costs its size (list-bounds.ts: the `limit` the request
// passes, inline or as a variable, else the field's default or maximum) times that; scalars are columns of their
// row and cost nothing. Aliases count separately and fragments count where they are spread, so fifteen aliases of
// `incidents(limit: 500) { alerts(limit: 500) { … } }` cost fifteen times 500 × 501. It runs at execute and subscribe
// time, where the variables are known (GraphQL Armor's cost runs at validation, without them, and counted no sizes).
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isCompositeType,
  isListType,
  isUnionType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LIST_BOUNDS, UNKNOWN_LIST_SIZE, type ListBound } from './list-bounds.ts';

/** The code every refusal of GRAPHQL_LIMITS carries, whichever limit it hit. */
export const TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

type Args = Record<string, unknown>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Args;
  /** A fragment's cost per parent field and arguments: spreading one many times (at any depth) costs one walk. */
  memo: Map<string, number>;
}

interface Sized {
  def: GraphQLField<unknown, unknown>;
  args: Args;
}

/** The field's size argument as the resolver reads it; a default or the maximum when it is absent or null. */
function listSize(bound: ListBound, own: Sized, parent: Sized | null): number {
  const { def, args } = bound.parentArg ? (parent ?? own) : own;
  const name = bound.parentArg ?? bound.arg ?? ('first' in args ? 'first' : 'limit');
  const given = args[name];
  if (typeof given === 'number' && Number.isFinite(given)) return Math.min(Math.max(Math.ceil(given), 1), bound.max);
  const declared = def.args.find((a) => a.name === name)?.defaultValue;
  return Math.min(bound.default ?? (typeof declared === 'number' ? declared : bound.max), bound.max);
}

function argsOf(def: GraphQLField<unknown, unknown>, node: FieldNode, variables: Args): Args {
  try {
    return getArgumentValues(def, node, variables);
  } catch {
    // A bad argument fails that field at execution without its resolver; count it as if it were left out.
    return {};
  }
}

function fieldCost(w: Walk, parentType: GraphQLCompositeType, node: FieldNode, parent: Sized | null): number {
  // Introspection reads the schema in memory (depth and token limits bound it); a union has only __typename.
  if (node.name.value.startsWith('__') || isUnionType(parentType)) return 0;
  const def = parentType.getFields()[node.name.value];
  if (!def) return 0;
  const type = getNamedType(def.type);
  if (!isCompositeType(type) || !node.selectionSet) return 0;
  const args = argsOf(def, node, w.variables);
  const each = 1 + selectionCost(w, type, node.selectionSet, { def, args });
  if (!isListType(getNullableType(def.type))) return each;
  const bound = LIST_BOUNDS[`${parentType.name}.${def.name}`];
  return (bound ? listSize(bound, { def, args }, parent) : UNKNOWN_LIST_SIZE) * each;
}

function selectionCost(
  w: Walk,
  type: GraphQLCompositeType,
  set: SelectionSetNode,
  parent: Sized | null,
  spread: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      cost += fieldCost(w, type, s, parent);
      continue;
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      cost += spreadCost(w, type, s.name.value, parent, spread);
      continue;
    }
    const on = s.typeCondition ? w.schema.getType(s.typeCondition.name.value) : type;
    if (on && isCompositeType(on)) cost += selectionCost(w, on, s.selectionSet, parent, spread);
  }
  return cost;
}

function spreadCost(
  w: Walk,
  type: GraphQLCompositeType,
  name: string,
  parent: Sized | null,
  spread: ReadonlySet<string>,
): number {
  const fragment = w.fragments.get(name);
  // A fragment spread inside itself is invalid (validation refuses it); never loop on one.
  if (!fragment || spread.has(name)) return 0;
  const on = w.schema.getType(fragment.typeCondition.name.value) ?? type;
  if (!isCompositeType(on)) return 0;
  const key = `${name}|${parent ? `${parent.def.name}:${JSON.stringify(parent.args)}` : ''}`;
  let cost = w.memo.get(key);
  if (cost === undefined) {
    cost = selectionCost(w, on, fragment.selectionSet, parent, new Set([...spread, name]));
    w.memo.set(key, cost);
  }
  return cost;
}

/** The cost of the operation that runs; null when its variables are invalid (execution then refuses it itself). */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Args | null | undefined,
): number | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  return coerced.errors ? null : documentCost(schema, document, operationName, coerced.coerced);
}

/** The cost with variables already coerced (a variable left out counts its field at the default or maximum). */
export function documentCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Args,
): number | null {
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return selectionCost({ schema, fragments, variables, memo: new Map() }, root, operation.selectionSet, null);
}

export function tooCostly(cost: number, max: number): GraphQLError {
  return new GraphQLError(
    `This request would read about ${cost.toLocaleString('en-US')} rows (each list's size times what is asked of ` +
      `each item); the ceiling is ${max.toLocaleString('en-US')}. Ask for fewer items (limit) or fewer nested lists.`,
    { extensions: { code: TOO_COMPLEX, limit: 'costLimit', cost, maxCost: max } },
  );
}

/** Refuses an operation costing more than `max` rows before any resolver runs, over HTTP and WebSocket alike. */
export function useCostLimit(max: number): Plugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Args | null;
  }) => {
    const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues);
    return cost !== null && cost > max ? { errors: [tooCostly(cost, max)] } : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
