import { INCIDENT_STATUSES, ROLES, SEVERITIES } from '../../../domain/types.ts';
import { builder } from '../builder.ts';

export const SeverityEnum = builder.enumType('Severity', { values: SEVERITIES });
export const IncidentStatusEnum = builder.enumType('IncidentStatus', { values: INCIDENT_STATUSES });
export const RoleEnum = builder.enumType('Role', { values: ROLES });
