/** Redaction of e-mails and phone numbers, and the anonymizer's strip and pseudonymize modes. */
import { createAnonymizer, parsePiiKinds, pseudonymFor, redactPii } from '../src/privacy';

const BOTH = new Set(['emails', 'phones'] as const);
const SECRET = 'an-export-secret-that-is-long-enough-42';

describe('redactPii', () => {
  it.each([
    'meg@fc.com',
    'Meg.O-Brien+hr@north-wind.co.uk',
    'first_last@sub.example.org',
  ])('redacts the e-mail address %s', (email) => {
    expect(redactPii(`Write to ${email}, please.`, BOTH)).toBe('Write to [email], please.');
  });

  it.each([
    '(555) 123-4567',
    '555-123-4567',
    '555.123.4567',
    '555 123 4567',
    '1-800-555-0199',
    '+1 (555) 123-4567',
    '+1 555 123 4567',
    '+44 20 7946 0958',
    '+49 30 123456',
    '020 7946 0958',
    '07700 900123',
    '0800 123 4567',
  ])('redacts the phone number %s', (phone) => {
    expect(redactPii(`Call her on ${phone} today.`, BOTH)).toBe('Call her on [phone] today.');
  });

  it.each([
    'Policy 4.2.1 and section 3.1.2 apply',
    'Case HR-2024-001 was opened',
    'On 2026-11-23 or 11/23/2026 at 10:30',
    'At 2026-11-23T10:01:15.000Z',
    'A back pay of $1,234.56',
    'Version 1.12.0 on host 10.0.0.1 or 192.168.1.1',
    'Employee number 5551234567',
    'An SSN-shaped 123-45-6789 is not a phone number',
    '3 of 12 shifts in 2026',
    'Rule 2024 555 1234',
    'Order 12345-678-9012',
    'an email-like "at" sign: @channel and user@localhost',
  ])('leaves ordinary HR text alone: %s', (text) => {
    expect(redactPii(text, BOTH)).toBe(text);
  });

  it('redacts only the kinds asked for', () => {
    const text = 'meg@fc.com / 555-123-4567';
    expect(redactPii(text, new Set(['emails'] as const))).toBe('[email] / 555-123-4567');
    expect(redactPii(text, new Set(['phones'] as const))).toBe('meg@fc.com / [phone]');
    expect(redactPii(text, new Set())).toBe(text);
  });

  it('parses REDACT_PII lists and names unknown kinds', () => {
    expect(parsePiiKinds('phones, emails')).toEqual({ kinds: ['emails', 'phones'] });
    expect(parsePiiKinds('none')).toEqual({ kinds: [] });
    expect(parsePiiKinds('emails,fax')).toEqual({ error: 'unknown kind(s) fax: use emails, phones or none' });
  });
});

describe('anonymizer', () => {
  const meg = { id: 'aad-meg-0001', email: 'meg@northwind.example', name: 'Meg Tester' };
  const text = 'I am Meg Tester (meg@northwind.example, MEG@NORTHWIND.EXAMPLE, id aad-meg-0001). Meg asked; omega and megabytes stay. Call 555-123-4567.';

  it('pseudonymizes: ids become stable pseudonyms, the tester disappears from text, PII is redacted', () => {
    const a = createAnonymizer({ anonymize: 'pseudonymize', secret: SECRET, redact: [] });
    a.remember(meg);
    const p = pseudonymFor('aad-meg-0001', SECRET);
    expect(p).toMatch(/^tester-[0-9a-f]{12}$/);
    expect(a.testerId('aad-meg-0001')).toBe(p);
    expect(a.testerDetail('meg@northwind.example')).toBeNull();
    const out = a.text(text);
    expect(out).toBe(`I am ${p} (${p}, ${p}, id ${p}). ${p} asked; omega and megabytes stay. Call [phone].`);
    for (const needle of ['aad-meg-0001', 'meg@', 'Meg', 'Tester']) expect(out).not.toContain(needle);
    // The same secret gives the same pseudonym in another export; another secret another one.
    expect(createAnonymizer({ anonymize: 'pseudonymize', secret: SECRET, redact: [] }).testerId('aad-meg-0001')).toBe(p);
    expect(pseudonymFor('aad-meg-0001', `${SECRET}x`)).not.toBe(p);
  });

  it('strips: ids become null and the tester is [tester] in text; other people\'s e-mails are redacted', () => {
    const a = createAnonymizer({ anonymize: 'strip', secret: SECRET, redact: [] });
    a.remember(meg);
    expect(a.testerId('aad-meg-0001')).toBeNull();
    expect(a.text('Meg Tester wrote to alex@northwind.example')).toBe('[tester] wrote to [email]');
  });

  it('walks JSON: every string, nested, keys untouched', () => {
    const a = createAnonymizer({ anonymize: 'strip', secret: SECRET, redact: [] });
    a.remember(meg);
    expect(a.json({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Meg here' }] }], n: 3 })).toEqual({
      messages: [{ role: 'user', content: [{ type: 'text', text: '[tester] here' }] }],
      n: 3,
    });
  });

  it('without a mode keeps identities and applies only the configured redaction', () => {
    const a = createAnonymizer({ anonymize: null, secret: '', redact: ['phones'] });
    a.remember(meg);
    expect(a.testerId('aad-meg-0001')).toBe('aad-meg-0001');
    expect(a.text(text)).toBe(text.replace('555-123-4567', '[phone]'));
    expect(createAnonymizer({ anonymize: null, secret: '', redact: [] }).changesText).toBe(false);
  });

  it('refuses a short secret when anonymising', () => {
    expect(() => createAnonymizer({ anonymize: 'pseudonymize', secret: 'short', redact: [] })).toThrow(RangeError);
  });
});
