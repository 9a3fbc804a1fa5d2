// `npm run migrate`: apply pending migrations to DATABASE_URL.
import { fatal } from '../lib/fatal.ts';
import { migrate } from './migrate.ts';
import { createSql } from './sql.ts';

const url = process.env.DATABASE_URL;
if (!url) fatal('migrate')(new Error('DATABASE_URL is required'));
const sql = createSql(url!, { max: 1 });
migrate(sql)
  .then(async (applied) => {
    console.log(applied.length ? `[migrate] applied ${applied.join(', ')}` : '[migrate] up to date');
    await sql.end();
  })
  .catch(fatal('migrate'));
