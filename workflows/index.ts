export { incidentWorkflow } from './incident.ts';
