import type { AlertRecord } from '../../incident-queries.ts';
import { builder } from '../builder.ts';
import { SeverityEnum } from './enums.ts';

export const AlertRef = builder.objectRef<AlertRecord>('Alert').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    assetName: t.exposeString('assetName'),
    signature: t.exposeString('signature'),
    message: t.exposeString('message'),
    severity: t.expose('severity', { type: SeverityEnum }),
    toolSource: t.exposeString('toolSource'),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
  }),
});
