/**
 * Redaction of e-mail addresses and phone numbers in free text (spec 004's privacy note), for exports.
 *
 * The patterns aim at what testers actually paste — `meg@fc.com`, `(555) 123-4567`, `555.123.4567`,
 * `+1 555 123 4567`, `+44 20 7946 0958`, `0800 123 4567` — while leaving alone what HR text is full
 * of: policy and section numbers (`4.2.1`, `HR-2024-001`), dates (`2026-11-23`, `11/23/2026`), times,
 * amounts (`$1,234.56`), versions and addresses like `10.0.0.1`. A bare run of digits with no
 * separators or `+` is not taken for a phone number (it is as likely an employee or order number).
 */

/** What can be redacted. */
export type PiiKind = 'emails' | 'phones';
export const PII_KINDS: readonly PiiKind[] = ['emails', 'phones'];

/** The text that replaces each kind. */
export const PII_PLACEHOLDERS: Readonly<Record<PiiKind, string>> = { emails: '[email]', phones: '[phone]' };

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;

const PHONE_PATTERNS: readonly RegExp[] = [
  // International: +CC then groups, e.g. +1 (555) 123-4567, +44 20 7946 0958, +49 30 123456.
  /(?<![\w+])\+\d{1,3}(?:[\s.-]?\(\d{1,4}\))?(?:[\s.-]?\d{1,5}){2,5}(?!\w)/g,
  // North American: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, 1-800-555-0199.
  /(?<![\w.+-])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w.-]*\d)/g,
  // Trunk-prefixed national numbers (UK and others): 020 7946 0958, 07700 900123, 0800 123 4567.
  /(?<![\w.+-])0\d{2,4}[\s-]\d{3,6}(?:[\s-]\d{3,4})?(?![\w.-]*\d)/g,
];

/** A phone candidate has 8 to 15 digits (E.164's ceiling); fewer is a code or a date part. */
function plausiblePhone(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  return digits >= 8 && digits <= 15;
}

/** TEXT with the chosen kinds of personal data replaced by their placeholders. */
export function redactPii(text: string, kinds: ReadonlySet<PiiKind>): string {
  let out = text;
  if (kinds.has('emails')) out = out.replace(EMAIL, PII_PLACEHOLDERS.emails);
  if (kinds.has('phones')) {
    for (const pattern of PHONE_PATTERNS) {
      out = out.replace(pattern, (match) => (plausiblePhone(match) ? PII_PLACEHOLDERS.phones : match));
    }
  }
  return out;
}

/**
 * Parses a REDACT_PII-style list ("emails,phones", "none", ""): the kinds, or an error naming the
 * unknown entries.
 */
export function parsePiiKinds(value: string): { kinds: PiiKind[] } | { error: string } {
  const entries = value.split(/[,;\s]+/).map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'none');
  const unknown = entries.filter((e) => !(PII_KINDS as readonly string[]).includes(e));
  if (unknown.length) return { error: `unknown kind(s) ${unknown.join(', ')}: use emails, phones or none` };
  return { kinds: PII_KINDS.filter((k) => entries.includes(k)) };
}
