// How people are named in what a tenant reads (domain/staff-label.ts): MSP staff never by address.
import { describe, expect, it } from 'vitest';
import { MSP_STAFF, shownAs } from '../../domain/staff-label.ts';

describe('shownAs', () => {
  it("names a company's own people by address", () => {
    expect(shownAs({ email: 'lead@acme.test', name: 'Lea Lead', role: 'company_admin' })).toBe('lead@acme.test');
    expect(shownAs({ email: 'tech@acme.test', name: 'Tom', role: 'technician' })).toBe('tech@acme.test');
  });

  it('names MSP staff by their name marked (MSP), spaces tidied', () => {
    expect(shownAs({ email: 'dana@msp.test', name: 'Dana Scully', role: 'msp_admin' })).toBe('Dana Scully (MSP)');
    expect(shownAs({ email: 'dana@msp.test', name: '  Dana \n Scully ', role: 'msp_admin' })).toBe('Dana Scully (MSP)');
  });

  it('falls back to "MSP staff" when the name is empty or holds an address', () => {
    for (const name of ['', '   ', null, 'dana@msp.test', 'Dana <dana@msp.test>']) {
      expect(shownAs({ email: 'dana@msp.test', name, role: 'msp_admin' })).toBe(MSP_STAFF);
    }
  });
});
