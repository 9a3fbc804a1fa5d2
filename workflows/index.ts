export { incidentWorkflow } from './incident.ts';
export { patchComplianceWorkflow } from './patch-compliance.ts';
export { monthlyReportWorkflow } from './monthly-report.ts';
