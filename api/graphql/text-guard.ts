// Refuses any text argument that cannot be stored (a NUL, an unpaired surrogate: domain/text.ts) before a resolver
// sees it, naming the argument. One check for every mutation and Update: a comment with a NUL once reached the
// incident workflow, whose save then failed on every retry. It reads every string the operation passes, inline or
// through variables, at any depth of input objects, lists and JSON (keys too: jsonb refuses a NUL in either).
import {
  getOperationAST,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { describeTextProblem, textProblem } from '../../domain/text.ts';

type Variables = Record<string, unknown>;

interface Given {
  variables: Variables;
  /** Variables the request left out take their declared default, which is inline text like any other. */
  defaults: Map<string, ValueNode>;
}

interface BadText {
  /** The operation's field, e.g. acknowledgeIncident. */
  field: string;
  /** The argument, with the path into it: comment, input.name, alerts[3].labels.team. */
  argument: string;
  problem: string;
}

const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;

/** The first bad string in a variable's JSON value; a loop, not recursion, so any nesting depth is safe. */
function inJson(value: unknown, path: string): Omit<BadText, 'field'> | null {
  const stack: Array<[unknown, string]> = [[value, path]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [v, p] = item;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { argument: p, problem: describeTextProblem(problem) };
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, at(p, i)]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const problem = textProblem(k);
        if (problem) return { argument: p, problem: `has a key that ${describeTextProblem(problem)}` };
        stack.push([x, at(p, k)]);
      }
    }
  }
  return null;
}

function inValue(node: ValueNode, path: string, given: Given): Omit<BadText, 'field'> | null {
  switch (node.kind) {
    case Kind.STRING: {
      const problem = textProblem(node.value);
      return problem ? { argument: path, problem: describeTextProblem(problem) } : null;
    }
    case Kind.VARIABLE: {
      const name = node.name.value;
      if (name in given.variables) return inJson(given.variables[name], path);
      const declared = given.defaults.get(name);
      return declared ? inValue(declared, path, given) : null;
    }
    case Kind.LIST:
      for (const [i, v] of node.values.entries()) {
        const bad = inValue(v, at(path, i), given);
        if (bad) return bad;
      }
      return null;
    case Kind.OBJECT:
      for (const f of node.fields) {
        const bad = inValue(f.value, at(path, f.name.value), given);
        if (bad) return bad;
      }
      return null;
    default:
      return null;
  }
}

function inSelections(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  given: Given,
  seen: Set<string>,
): BadText | null {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      for (const arg of s.arguments ?? []) {
        const bad = inValue(arg.value, arg.name.value, given);
        if (bad) return { field: s.name.value, ...bad };
      }
      const inner = s.selectionSet && inSelections(s.selectionSet, fragments, given, seen);
      if (inner) return inner;
      continue;
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) continue;
      seen.add(s.name.value);
      const inner = inSelections(fragment.selectionSet, fragments, given, seen);
      if (inner) return inner;
      continue;
    }
    const inner = inSelections(s.selectionSet, fragments, given, seen);
    if (inner) return inner;
  }
  return null;
}

/** The first argument of the operation that runs holding text that cannot be stored, or null. */
export function findBadText(
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Variables | null | undefined,
): BadText | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const defaults = new Map<string, ValueNode>();
  for (const d of operation.variableDefinitions ?? [])
    if (d.defaultValue) defaults.set(d.variable.name.value, d.defaultValue);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return inSelections(operation.selectionSet, fragments, { variables: { ...rawVariables }, defaults }, new Set());
}

export function badTextError(bad: BadText): GraphQLError {
  return new GraphQLError(`The argument "${bad.argument}" of ${bad.field} ${bad.problem}`, {
    extensions: { code: 'BAD_USER_INPUT', field: bad.field, argument: bad.argument },
  });
}

/** The Yoga plugin: refuses the operation, with the argument named, before any resolver runs. */
export function useTextGuard(): Plugin {
  const check = (args: {
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Variables | null;
  }) => {
    const bad = findBadText(args.document, args.operationName, args.variableValues);
    return bad ? { errors: [badTextError(bad)] } : null;
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
