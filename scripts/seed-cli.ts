// `npm run seed`: create the demo tenant on DATABASE_URL and print its credentials, once. On an install where
// it already exists nothing is replaced unless DEMO_API_KEY / ADMIN_PASSWORD / TECHNICIAN_PASSWORD say what to
// set: a second run must never silently swap a live key or password. Production installs use `create-admin`.
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { fatal } from '../lib/fatal.ts';
import { demoCredentials, seedDemo } from './seed.ts';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
    const [existing] = await sql`SELECT 1 FROM companies WHERE id = 'comp-acme'`;
    const chosen = ['DEMO_API_KEY', 'ADMIN_PASSWORD', 'TECHNICIAN_PASSWORD'].filter((k) => process.env[k]);
    if (existing && chosen.length === 0) {
      console.log(
        'The demo tenant "Acme Corp" already exists; nothing was changed.\n' +
          'To set its key or passwords, run again with DEMO_API_KEY, ADMIN_PASSWORD or TECHNICIAN_PASSWORD.',
      );
      return;
    }
    const creds = demoCredentials(process.env);
    await seedDemo(
      sql,
      creds,
      existing
        ? {
            apiKey: 'DEMO_API_KEY' in process.env && !!process.env.DEMO_API_KEY,
            adminPassword: !!process.env.ADMIN_PASSWORD,
            technicianPassword: !!process.env.TECHNICIAN_PASSWORD,
          }
        : undefined,
    );
    if (existing) {
      console.log(`Demo tenant "Acme Corp": set ${chosen.join(', ')} from the environment; nothing else changed.`);
      return;
    }
    console.log(`Demo tenant "Acme Corp" ready.
  API key      ${creds.apiKey}
  Admin login  ${creds.adminEmail} / ${creds.adminPassword}   (msp_admin)
  Technician   ${creds.technicianEmail} / ${creds.technicianPassword}`);
  } finally {
    await sql.end();
  }
}

main().catch(fatal('seed'));
