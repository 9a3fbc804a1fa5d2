// A person's command on an incident is a Temporal Update, which waits until the incident's workflow takes it. With
// Temporal or every worker away that wait has no end, and the browser's request hung with it. The person is now
// answered at the install's deadline (COMMAND_DEADLINE_MS) with PENDING, while the command goes on in the background:
// Temporal keeps an Update it admitted until a worker takes it, so the command, and what the API does after it (the
// audit line, a merge's or a split's alerts in PostgreSQL), still completes when they are back, as it did before.
// Cutting the call off at the deadline instead would leave those later steps undone for an Update applied later.
import { GraphQLError } from 'graphql';
import type { Logger } from '../../lib/log.ts';

export interface CommandWaitOptions {
  /** How long a person waits for the workflow before being answered PENDING. */
  deadlineMs: number;
  /** Commands left running after their answer, per process: each holds a call to Temporal until it answers. */
  maxWaiting?: number;
  log: Pick<Logger, 'info' | 'warn'>;
}

const MAX_WAITING = 100;

export interface CommandWaits {
  /**
   * Runs `work` (the command's Update and the steps after it); answers with its result, or with PENDING once the
   * deadline passes while `work` goes on. `incidentId` and `command` name it in that answer and in the log.
   */
  run<T>(incidentId: string, command: string, work: () => Promise<T>): Promise<T>;
  /** Commands answered PENDING and still running. */
  readonly waiting: number;
}

export function createCommandWaits(o: CommandWaitOptions): CommandWaits {
  const max = o.maxWaiting ?? MAX_WAITING;
  let waiting = 0;
  return {
    get waiting() {
      return waiting;
    },
    async run<T>(incidentId: string, command: string, work: () => Promise<T>): Promise<T> {
      // Temporal has not answered the commands before this one: another would only add a call that waits too.
      if (waiting >= max) {
        throw new GraphQLError(
          `${waiting} commands are still waiting for their incidents' workflows to answer; ${command} was not ` +
            'sent. Try again once Temporal and its workers are back.',
          { extensions: { code: 'UNAVAILABLE', reason: 'CommandsWaiting' } },
        );
      }
      const running = work();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), o.deadlineMs);
      });
      try {
        const first = await Promise.race([running, late]);
        if (first !== 'late') return first;
      } finally {
        clearTimeout(timer);
      }
      waiting += 1;
      running
        .then(
          () => o.log.info({ incidentId, command }, 'command answered as pending has now been taken'),
          (err: unknown) =>
            o.log.warn(
              { incidentId, command, err: (err as Error)?.message ?? String(err) },
              'command answered as pending failed or was refused after its answer',
            ),
        )
        .finally(() => (waiting -= 1));
      throw new GraphQLError(
        `Incident ${incidentId} has not taken ${command} within ${o.deadlineMs / 1000} s: Temporal or ` +
          'its workers are not answering. It is not confirmed: once Temporal has it, it takes effect when a worker ' +
          'is back, and the incident shows it then.',
        { extensions: { code: 'PENDING', reason: 'WorkflowNotAnswering' } },
      );
    },
  };
}
