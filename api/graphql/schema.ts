import { builder } from './builder.ts';
import './types/scalars.ts';
import './types/enums.ts';
import './types/user.ts';
import './types/alert.ts';
import './types/decision.ts';
import './types/approval.ts';
import './types/execution.ts';
import './types/incident-event.ts';
import './types/incident.ts';
import './types/incident-commands.ts';
import './types/ingestion.ts';

export const schema = builder.toSchema();
