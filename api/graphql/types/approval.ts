import type { Approval } from '../../../workflows/types.ts';
import { builder } from '../builder.ts';

export const ApprovalRef = builder.objectRef<Approval>('Approval').implement({
  fields: (t) => ({
    status: t.exposeString('status'),
    riskLevel: t.exposeString('riskLevel'),
    requestedAt: t.expose('requestedAt', { type: 'DateTime' }),
    deadline: t.expose('deadline', { type: 'DateTime' }),
    decidedBy: t.exposeString('decidedBy', {
      nullable: true,
      description: 'Who approved or rejected it: a company person by address, MSP staff as "Name (MSP)".',
    }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    comment: t.exposeString('comment', { nullable: true }),
  }),
});
