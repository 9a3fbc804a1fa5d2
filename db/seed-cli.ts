// `npm run seed`: create (or re-align) the demo tenant on DATABASE_URL and print its credentials.
// For a compose or production install's first login; `npm start` does the same on its own data.
import { fatal } from '../lib/fatal.ts';
import { migrate } from './migrate.ts';
import { generateSecret, seedDemo } from './seed.ts';
import { createSql } from './sql.ts';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  // Without fixed values the secrets are new on every run, and the run re-aligns the stored ones to them.
  const creds = {
    companyId: 'comp-acme',
    apiKey: process.env.DEMO_API_KEY || generateSecret('ak_demo_'),
    adminEmail: process.env.ADMIN_EMAIL || 'admin@msp.example',
    adminPassword: process.env.ADMIN_PASSWORD || generateSecret(''),
    technicianEmail: process.env.TECHNICIAN_EMAIL || 'tech@acme.example',
    technicianPassword: process.env.TECHNICIAN_PASSWORD || generateSecret(''),
  };
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
    await seedDemo(sql, creds);
  } finally {
    await sql.end();
  }
  console.log(`Demo tenant "Acme Corp" ready.
  API key      ${creds.apiKey}
  Admin login  ${creds.adminEmail} / ${creds.adminPassword}   (msp_admin)
  Technician   ${creds.technicianEmail} / ${creds.technicianPassword}`);
}

main().catch(fatal('seed'));
