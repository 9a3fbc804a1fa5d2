// Alert text in chat messages (domain/chat-text.ts, domain/escalation.ts): shown as typed, never a ping, a
// mention or a link whose label lies.
import { describe, expect, it } from 'vitest';
import { escapeSlack, escapeTeams } from '../../domain/chat-text.ts';
import { slackPayload, teamsPayload, type EscalationNotice } from '../../domain/escalation.ts';

describe('Slack mrkdwn', () => {
  it('escapes exactly &, < and >, so pings, mentions and labelled links show as text', () => {
    expect(escapeSlack('<!channel> disk full')).toBe('&lt;!channel&gt; disk full');
    expect(escapeSlack('ask <@U024BE7LH> or <!subteam^SAZ94GDB8>')).toBe(
      'ask &lt;@U024BE7LH&gt; or &lt;!subteam^SAZ94GDB8&gt;',
    );
    expect(escapeSlack('<http://evil.example|status page>')).toBe('&lt;http://evil.example|status page&gt;');
    // An entity typed in the alert stays what was typed, not the character it names.
    expect(escapeSlack('a &lt; b & c')).toBe('a &amp;lt; b &amp; c');
    expect(escapeSlack('disk_full on web-1 (95%)')).toBe('disk_full on web-1 (95%)');
  });
});

describe('Teams card text', () => {
  it('escapes Markdown links, emphasis and code, and HTML tags', () => {
    expect(escapeTeams('[status page](http://evil.example)')).toBe('\\[status page\\]\\(http://evil.example\\)');
    expect(escapeTeams('![x](http://evil.example/p.png)')).toBe('!\\[x\\]\\(http://evil.example/p.png\\)');
    expect(escapeTeams('<at>Everyone</at> <a href="http://evil">x</a>')).toBe(
      '&lt;at&gt;Everyone&lt;/at&gt; &lt;a href="http://evil"&gt;x&lt;/a&gt;',
    );
    expect(escapeTeams('*bold* _it_ `code` ~strike~ back\\slash & co')).toBe(
      '\\*bold\\* \\_it\\_ \\`code\\` \\~strike\\~ back\\\\slash &amp; co',
    );
  });

  it('leaves ordinary text readable', () => {
    expect(escapeTeams('Response SLA breached on db-01: 95% used.')).toBe('Response SLA breached on db-01: 95% used.');
  });
});

describe('escalation payloads', () => {
  const notice: EscalationNotice = {
    incidentId: 'inc-1',
    companyName: 'Acme <!here>',
    assetName: '<http://evil.example|web-1>',
    signature: '<!channel>',
    severity: 'critical',
    status: 'escalated',
    level: 2,
    reason: 'Escalated: [click](http://evil.example) <@U1>',
    url: 'https://aw.example/#/incidents/inc-1',
  };

  it('escapes every alert-made part of a Slack message, the fallback text included', () => {
    const body = JSON.stringify(slackPayload(notice));
    expect(body).not.toMatch(/<!channel>|<!here>|<@U1>|<http:/);
    expect(slackPayload(notice)).toMatchObject({
      text: '[CRITICAL] Acme &lt;!here&gt;: &lt;!channel&gt; on &lt;http://evil.example|web-1&gt; (level 2): Escalated: [click](http://evil.example) &lt;@U1&gt;',
    });
  });

  it('escapes the Teams card text, where Markdown and HTML are read', () => {
    expect(teamsPayload(notice)).toMatchObject({
      text: 'Escalated: \\[click\\]\\(http://evil.example\\) &lt;@U1&gt;',
    });
  });
});
