import { describe, expect, it } from 'vitest';
import { checkKey, KEY_RECEIVERS, type KeyPolicy } from '../../domain/key-policy.ts';

const signedOnly: KeyPolicy = { signing: 'signed_only', receiver: null };
const unsignedAllowed: KeyPolicy = { signing: 'unsigned_allowed', receiver: null };
const UNSIGNED_TOOLS = ['alertmanager', 'grafana', 'events_v2', 'datadog', 'zabbix'] as const;

describe('checkKey (an integration key held to its policy on a route)', () => {
  it('asks every route but CloudWatch for a signature when the key is signed only and the company has a secret', () => {
    for (const r of [...UNSIGNED_TOOLS, 'alerts' as const])
      expect(checkKey(signedOnly, r, true).kind).toBe('signature');
    expect(checkKey(signedOnly, 'cloudwatch', true)).toEqual({ kind: 'accept' });
    const reason = checkKey(signedOnly, 'datadog', true);
    expect(reason.kind === 'signature' && reason.unsignedReason).toMatch(/signed requests only.*Datadog/);
  });

  it('lets the tools that cannot sign use an unsigned-allowed key; the generic route still needs the signature', () => {
    for (const r of UNSIGNED_TOOLS) expect(checkKey(unsignedAllowed, r, true)).toEqual({ kind: 'accept' });
    expect(checkKey(unsignedAllowed, 'alerts', true).kind).toBe('signature');
  });

  it('verifies nothing when the company has no secret, whatever the key says', () => {
    for (const r of KEY_RECEIVERS) expect(checkKey(signedOnly, r, false)).toEqual({ kind: 'accept' });
  });

  it('refuses a key limited to one receiver on every other, naming only its own receiver and this route', () => {
    const limited: KeyPolicy = { signing: 'unsigned_allowed', receiver: 'alertmanager' };
    expect(checkKey(limited, 'alertmanager', true)).toEqual({ kind: 'accept' });
    for (const r of KEY_RECEIVERS.filter((x) => x !== 'alertmanager')) {
      const c = checkKey(limited, r, false);
      expect(c).toMatchObject({ kind: 'refuse', status: 403, error: 'key_not_for_receiver' });
      expect(c.kind === 'refuse' && c.reason).toContain('limited to the Alertmanager');
    }
  });
});
