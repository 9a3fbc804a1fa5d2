// `npm run seed`: create (or re-align) the demo tenant on DATABASE_URL and print its credentials.
// For a compose or production install's first login; `npm start` does the same on its own data.
import { fatal } from '../lib/fatal.ts';
import { migrate } from './migrate.ts';
import { demoCredentials, seedDemo } from './seed.ts';
import { createSql } from './sql.ts';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  // Without fixed values the secrets are new on every run, and the run re-aligns the stored ones to them.
  const creds = demoCredentials(process.env);
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
