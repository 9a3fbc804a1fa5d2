// The wait of a person's command (api/graphql/command-waits.ts) with commands whose outcome the test decides: the
// real Temporal case is test/api/command-deadline.test.ts.
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createCommandWaits } from '../../api/graphql/command-waits.ts';

function held<T>() {
  let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void };
  const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  return { promise, ...settle };
}

function logged() {
  const lines: string[] = [];
  const log = { info: (_o: object, m: string) => lines.push(m), warn: (_o: object, m: string) => lines.push(m) };
  return { lines, log: log as never };
}

const codeOf = (err: unknown) => (err as GraphQLError).extensions?.code;

describe('command waits', () => {
  it("answers with the command's own result or refusal while it comes first", async () => {
    const waits = createCommandWaits({ deadlineMs: 60_000, ...logged() });
    await expect(waits.run('i1', 'acknowledgeIncident', async () => 'done')).resolves.toBe('done');
    const refused = new GraphQLError('Already acknowledged', { extensions: { code: 'CONFLICT' } });
    await expect(waits.run('i1', 'acknowledgeIncident', () => Promise.reject(refused))).rejects.toBe(refused);
    expect(waits.waiting).toBe(0);
  });

  it('answers PENDING at the deadline, lets the command finish, and logs how it ended', async () => {
    const { lines, log } = logged();
    const waits = createCommandWaits({ deadlineMs: 5, log });
    const taken = held<string>();
    const refusedLate = held<string>();
    const first = await waits.run('i1', 'acknowledgeIncident', () => taken.promise).catch((e: unknown) => e);
    const second = await waits.run('i2', 'mergeIncidents', () => refusedLate.promise).catch((e: unknown) => e);
    expect(codeOf(first)).toBe('PENDING');
    expect((first as Error).message).toMatch(/^Incident i1 has not taken acknowledgeIncident within 0.005 s/);
    expect(codeOf(second)).toBe('PENDING');
    expect(waits.waiting).toBe(2);

    taken.resolve('late');
    refusedLate.reject(new Error('IncidentClosed'));
    await expect.poll(() => waits.waiting).toBe(0);
    expect(lines.sort()).toEqual([
      'command answered as pending failed or was refused after its answer',
      'command answered as pending has now been taken',
    ]);
  });

  it('refuses new commands at once while its ceiling of waiting ones is reached', async () => {
    const waits = createCommandWaits({ deadlineMs: 5, maxWaiting: 1, ...logged() });
    const stuck = held<string>();
    await waits.run('i1', 'acknowledgeIncident', () => stuck.promise).catch(() => undefined);
    let sent = false;
    const err = await waits
      .run('i2', 'acknowledgeIncident', async () => {
        sent = true;
        return 'x';
      })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('UNAVAILABLE');
    expect(sent).toBe(false);
    stuck.resolve('late');
    await expect.poll(() => waits.waiting).toBe(0);
    await expect(waits.run('i3', 'acknowledgeIncident', async () => 'sent')).resolves.toBe('sent');
  });
});
