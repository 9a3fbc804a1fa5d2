// Outgoing email over SMTP (nodemailer): invitations and password links now, notifications later. Configured by
// SMTP_URL (smtp://user:pass@host:587 or smtps://…:465); without it nothing is sent and callers show the link.
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Files sent along (the monthly report's CSV), as nodemailer takes them. */
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(opts: { smtpUrl: string; from: string }): Mailer {
  // A short timeout: an admin waits on this in the dashboard, and a dead relay must not hang the request.
  const transport = nodemailer.createTransport(opts.smtpUrl, {
    from: opts.from,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never);
  return {
    async send(message) {
      try {
        await transport.sendMail(message);
      } catch (err) {
        // Name the relay's complaint, never the URL: it may hold the SMTP password.
        throw new Error(`Email to ${message.to} failed: ${(err as Error).message}`);
      }
    },
    close: () => transport.close(),
  };
}
