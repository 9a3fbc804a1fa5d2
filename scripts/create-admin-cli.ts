// `npm run create-admin -- <email> [name]`: the first MSP admin of a production install (or another one).
// It prints a one-time link (72 h) to the operator's terminal to set the password in the browser: no password is
// chosen on the command line (shell history) or written to any service log.
import { invitePerson } from '../api/tenants/people.ts';
import { migrate } from '../db/migrate.ts';
import { createSql } from '../db/sql.ts';
import { fatal } from '../lib/fatal.ts';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const [email, ...nameParts] = process.argv.slice(2);
  if (!email) throw new Error('Usage: npm run create-admin -- <email> [name]');
  const publicUrl = (process.env.PUBLIC_URL || `http://localhost:${process.env.PORT || 3000}`).replace(/\/$/, '');
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
    const cli = { id: null, email: 'create-admin (command line)', ip: null };
    // The command line acts with MSP-admin rights: whoever can run it can already reach the database.
    const root = { id: 'cli', email: cli.email, name: 'command line', role: 'msp_admin' as const, companyIds: [] };
    const { person, token } = await invitePerson(sql, cli, root, {
      email,
      name: nameParts.join(' ') || email.split('@')[0]!,
      role: 'msp_admin',
      companyIds: [],
    });
    console.log(`MSP admin ${person.email} created. Open this link within 72 hours to set the password (once):

  ${publicUrl}/#/set-password?token=${token}
`);
  } finally {
    await sql.end();
  }
}

main().catch(fatal('create-admin'));
