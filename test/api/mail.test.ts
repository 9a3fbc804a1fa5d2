// Invitations by email through the real nodemailer client to a local SMTP server (smtp-server), with login.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let smtp: SMTPServer;
const inbox: ParsedMail[] = [];
const logins: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'relay' && auth.password === 'relay-password') cb(null, { user: 'relay' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((mail) => inbox.push(mail))
        .then(() => cb(), cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  stack = await startStack({
    startRouter: false,
    env: { SMTP_URL: `smtp://relay:relay-password@127.0.0.1:${port}`, MAIL_FROM: 'MSP Ops <ops@msp.example>' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('invitation email', () => {
  it('sends the one-time link to the invited person, and the link signs them in', async () => {
    const company = await createCompany(stack.sql);
    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const token = await login(stack.url, admin.email, admin.password);
    const email = `invitee-${Date.now()}@client.example`;
    const r = await graphql<{ invitePerson: { url: string; email: { sent: boolean; error: string | null } } }>(
      stack.url,
      'mutation($i:InviteInput!){ invitePerson(input:$i) { url email { sent error } } }',
      { i: { email, name: 'Ivy Invitee', role: 'technician', companyIds: [company.companyId] } },
      token,
    );
    expect(r.data!.invitePerson.email).toEqual({ sent: true, error: null });
    const mail = await eventually(
      async () => inbox.find((m) => m.to && JSON.stringify(m.to).includes(email)),
      'the email',
    );
    expect(mail.from?.value[0]).toMatchObject({ name: 'MSP Ops', address: 'ops@msp.example' });
    expect(mail.subject).toBe('You are invited to Alert Whisperer');
    expect(mail.text).toContain('Hello Ivy Invitee');
    expect(mail.text).toContain(r.data!.invitePerson.url);
    const linkToken = /token=([A-Za-z0-9_-]+)/.exec(mail.text!)![1];
    const set = await graphql(
      stack.url,
      'mutation($t:String!){ setPasswordWithLink(token:$t,password:"from the email link") { accessToken } }',
      { t: linkToken },
    );
    expect(set.errors).toBeUndefined();
    expect(await login(stack.url, email, 'from the email link')).toBeTruthy();
  });

  it('still creates the link when the relay refuses, saying why without the SMTP password', async () => {
    const port = (smtp.server.address() as AddressInfo).port;
    const broken = await startStack({
      startRouter: false,
      env: { SMTP_URL: `smtp://relay:wrong-password@127.0.0.1:${port}` },
    });
    try {
      const admin = await createUser(broken.sql, 'msp_admin', []);
      const token = await login(broken.url, admin.email, admin.password);
      const company = await createCompany(broken.sql);
      const r = await graphql<{ invitePerson: { url: string; email: { sent: boolean; error: string } } }>(
        broken.url,
        'mutation($i:InviteInput!){ invitePerson(input:$i) { url email { sent error } } }',
        {
          i: {
            email: `x-${Date.now()}@client.example`,
            name: 'X',
            role: 'technician',
            companyIds: [company.companyId],
          },
        },
        token,
      );
      expect(r.data!.invitePerson.email.sent).toBe(false);
      expect(r.data!.invitePerson.email.error).toMatch(/Invalid username or password/);
      expect(r.data!.invitePerson.email.error).not.toContain('wrong-password');
      expect(r.data!.invitePerson.url).toMatch(/set-password\?token=/);
      expect(logins).toContain('relay:wrong-password');
    } finally {
      await broken.stop();
    }
  });
});
