// Text people type: what cannot be stored (a NUL, an unpaired surrogate) is found and named, a cut never splits a
// character, and the GraphQL text guard finds such text in any argument, inline or in variables, at any depth.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cutText, describeTextProblem, textProblem } from '../../domain/text.ts';
import { findBadText } from '../../api/graphql/text-guard.ts';

const EMOJI = '\u{1F525}'; // two UTF-16 code units

describe('textProblem', () => {
  it('accepts ordinary text, emoji and other astral characters', () => {
    for (const s of ['', 'disk full on db-1', `fire ${EMOJI} fire`, 'Ünïcødé — “quotes”', '\u{10FFFF}', '\t\n\r'])
      expect(textProblem(s)).toBeNull();
  });

  it('finds a NUL, with its position', () => {
    expect(textProblem('nul \u0000 here')).toEqual({ kind: 'nul', index: 4, codeUnit: 'U+0000' });
  });

  it('finds a high or a low surrogate without its other half, wherever it is', () => {
    expect(textProblem('\ud800')).toEqual({ kind: 'unpaired_surrogate', index: 0, codeUnit: 'U+D800' });
    expect(textProblem(`ab${EMOJI.slice(0, 1)}`)).toMatchObject({ kind: 'unpaired_surrogate', index: 2 });
    expect(textProblem(`${EMOJI.slice(1)}ab`)).toMatchObject({ kind: 'unpaired_surrogate', codeUnit: 'U+DD25' });
    // Two high halves in a row: the first has no low half after it.
    expect(textProblem('\ud83d\ud83d\udd25')).toMatchObject({ index: 0 });
  });

  it('describes each problem in words a person can act on', () => {
    expect(describeTextProblem(textProblem('a\u0000')!)).toBe(
      'holds a NUL character (U+0000) at position 1; remove it',
    );
    expect(describeTextProblem(textProblem('\udfff')!)).toMatch(/unpaired surrogate \(U\+DFFF\) at position 0/);
  });
});

describe('cutText', () => {
  it('leaves text within the limit as it is', () => {
    expect(cutText('short', 10)).toBe('short');
    expect(cutText(EMOJI, 2)).toBe(EMOJI);
  });

  it('cuts to the limit in code units, like slice', () => {
    expect(cutText('abcdef', 3)).toBe('abc');
    expect(cutText('abc', 0)).toBe('');
  });

  it('drops a character the cut would split instead of keeping half of it', () => {
    const s = `ab${EMOJI}cd`;
    expect(s.slice(0, 3)).toHaveLength(3);
    expect(textProblem(s.slice(0, 3))).not.toBeNull();
    expect(cutText(s, 3)).toBe('ab');
    expect(cutText(s, 4)).toBe(`ab${EMOJI}`);
    for (let n = 0; n <= s.length; n++) expect(textProblem(cutText(s, n))).toBeNull();
  });
});

describe('findBadText', () => {
  const MUTATION = 'mutation($id: ID!, $comment: String) { acknowledgeIncident(id: $id, comment: $comment) { id } }';

  it('names the argument holding bad text passed as a variable', () => {
    expect(findBadText(parse(MUTATION), null, { id: 'i-1', comment: 'nul \u0000' })).toMatchObject({
      field: 'acknowledgeIncident',
      argument: 'comment',
    });
    expect(findBadText(parse(MUTATION), null, { id: 'i-1', comment: '\ud800' })?.problem).toMatch(/unpaired/);
    expect(findBadText(parse(MUTATION), null, { id: 'i-1', comment: `fine ${EMOJI}` })).toBeNull();
  });

  it('finds it inline, in input objects, lists, JSON values and keys, and declared defaults', () => {
    const inline = parse('mutation { resolveIncident(id: "i-1", comment: "a\\u0000b") { id } }');
    expect(findBadText(inline, null, {})).toMatchObject({ field: 'resolveIncident', argument: 'comment' });
    const input = parse('mutation($n: String!) { invitePerson(input: { name: $n, email: "e" }) { url } }');
    expect(findBadText(input, null, { n: 'x\u0000' })?.argument).toBe('input.name');
    const listed = parse('mutation($i: UpdatePersonInput!) { updatePerson(id: "u", input: $i) { id } }');
    expect(findBadText(listed, null, { i: { categories: ['ok', 'b\ud800'] } })?.argument).toBe('input.categories[1]');
    const json = parse('mutation($s: JSON) { updateCompany(id: "c", input: { settings: $s }) { id } }');
    expect(findBadText(json, null, { s: { deep: [{ x: 'n\u0000' }] } })?.argument).toBe('input.settings.deep[0].x');
    expect(findBadText(json, null, { s: { ['k\u0000']: 1 } })?.problem).toMatch(/^has a key that holds a NUL/);
    const fallback = parse('mutation($c: String = "d\\u0000") { rejectIncident(id: "i", comment: $c) { id } }');
    expect(findBadText(fallback, null, {})?.argument).toBe('comment');
    expect(findBadText(fallback, null, { c: 'given' })).toBeNull();
  });

  it('reads nested fields and fragments, and only the operation that runs', () => {
    const doc = parse(`
      query A { company(id: "c") { ...F } }
      query B { me { id } }
      fragment F on Company { mutedAlerts(limit: 5) { total } assets { name } name }
      mutation C { splitIncident(id: "i", alertIds: ["a"], comment: "\\u0000") { id } }`);
    expect(findBadText(doc, 'A', {})).toBeNull();
    expect(findBadText(doc, 'C', {})).toMatchObject({ field: 'splitIncident', argument: 'comment' });
    const nested = parse('{ company(id: "c") { ... on Company { mutedAlerts(limit: 1) { total } } } x: me { id } }');
    expect(findBadText(nested, null, {})).toBeNull();
    const deep = parse(
      'query($id: ID!) { incident(id: "ok") { alerts(limit: 1) { id } } other: incident(id: $id) { id } }',
    );
    expect(findBadText(deep, null, { id: '\u0000' })).toMatchObject({ field: 'incident', argument: 'id' });
  });

  it('walks a variable nested deeper than any recursion would survive', () => {
    let value: unknown = 'bottom \u0000';
    for (let i = 0; i < 100_000; i++) value = [value];
    const doc = parse('mutation($s: JSON) { updateCompany(id: "c", input: { settings: $s }) { id } }');
    expect(findBadText(doc, null, { s: value })?.argument).toMatch(/^input\.settings(\[0\])+$/);
  });
});
