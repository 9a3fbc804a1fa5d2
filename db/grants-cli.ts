// `npm run grants`: give the application role its privileges (db/grants.sql) on DATABASE_URL, as the schema's owner.
// docker-compose.yml's one-shot `migrate` service runs it after `npm run migrate`.
import { fatal } from '../lib/fatal.ts';
import { applyGrants } from './grants.ts';
import { createSql } from './sql.ts';

const url = process.env.DATABASE_URL;
if (!url) fatal('grants')(new Error('DATABASE_URL is required'));
const sql = createSql(url!, { max: 1 });
applyGrants(sql)
  .then(async () => {
    console.log('[grants] alert_whisperer_app may read and write rows, and only append to audit_log');
    await sql.end();
  })
  .catch(fatal('grants'));
