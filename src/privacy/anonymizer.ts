/**
 * Spec 004's anonymisation for every export: tester identities stripped or replaced by pseudonyms, and
 * e-mail addresses and phone numbers redacted from message text.
 *
 * - `strip`: identity fields become null; the tester's id, e-mail and name inside text become `[tester]`.
 * - `pseudonymize`: identity fields become `tester-<12 hex>`, HMAC-SHA256 of the id under the export
 *   secret: the same tester gets the same pseudonym in every export made with that secret (so exports
 *   can be joined) and nobody without the secret can tell who it is. Inside text, the tester's id,
 *   e-mail and name become that pseudonym.
 * - Either mode also redacts every e-mail address and phone number (an anonymised export that still
 *   holds a phone number is not anonymous); without a mode only the configured kinds (REDACT_PII) are.
 *
 * Names are matched whole: the full name case-insensitively, and each part of three letters or more
 * as a capitalised whole word ("Meg", not "omega"), which can also hit a capitalised word that is not
 * the tester (a tester called "Will" scrubs "Will" at the start of a sentence): over-redacting is the
 * safe side for an anonymised export.
 */
import { createHmac } from 'node:crypto';
import { type PiiKind, PII_KINDS, redactPii } from './pii';

export type AnonymizeMode = 'strip' | 'pseudonymize';
export const ANONYMIZE_MODES: readonly AnonymizeMode[] = ['strip', 'pseudonymize'];

/** Who a tester is, as the tables hold it. */
export interface TesterIdentity {
  id: string | null;
  email?: string | null;
  name?: string | null;
}

export interface PrivacyOptions {
  /** Null: identities are exported as they are. */
  anonymize: AnonymizeMode | null;
  /** The pseudonym key (at least 32 characters). */
  secret: string;
  /** Kinds redacted from text even without a mode (REDACT_PII). */
  redact: readonly PiiKind[];
}

/** Applies one export's privacy settings to ids, names and text. */
export interface Anonymizer {
  readonly mode: AnonymizeMode | null;
  /** The kinds of personal data redacted from text. */
  readonly redacted: readonly PiiKind[];
  /** Whether text goes out changed at all (identities scrubbed or something redacted). */
  readonly changesText: boolean;
  /** A tester id as the export shows it: itself, its pseudonym, or null. */
  testerId(id: string | null): string | null;
  /** A tester's e-mail or display name as the export shows it (null when anonymised). */
  testerDetail(value: string | null): string | null;
  /** Learns a tester, so that their id, e-mail and name are scrubbed from text. No-op without a mode. */
  remember(identity: TesterIdentity): void;
  /** Text as the export shows it. */
  text(value: string): string;
  /** A JSON value with every string in it passed through {@link Anonymizer.text}. */
  json<T>(value: T): T;
}

export const MIN_ANONYMIZE_SECRET_LENGTH = 32;
const STRIPPED = '[tester]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pseudonym of a tester id under SECRET: stable per secret, not reversible without it. */
export function pseudonymFor(id: string, secret: string): string {
  return `tester-${createHmac('sha256', secret).update(id, 'utf8').digest('hex').slice(0, 12)}`;
}

interface Needle {
  pattern: string;
  flags: 'i' | '';
  replacement: string;
}

/** Finds known identities in text and replaces them, longest first, in one pass per case rule. */
class IdentityScrubber {
  private readonly needles = new Map<string, Needle>();
  private compiled: { insensitive: RegExp | null; sensitive: RegExp | null; byKey: Map<string, string> } | null = null;

  /** Adds VALUE (three characters or more); ids and e-mails anywhere, names only as whole words. */
  add(value: string | null | undefined, flags: 'i' | '', replacement: string, wordOnly: boolean): void {
    const v = value?.trim();
    if (!v || v.length < 3) return;
    const body = escapeRegExp(v);
    const pattern = wordOnly ? `(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])` : body;
    this.needles.set(`${flags}:${flags === 'i' ? v.toLowerCase() : v}`, { pattern, flags, replacement });
    this.compiled = null;
  }

  private compile() {
    if (this.compiled) return this.compiled;
    // Longest first, so "Meg Tester" is replaced before "Meg" could split it.
    const sorted = [...this.needles.entries()].sort((a, b) => b[0].length - a[0].length);
    const byKey = new Map<string, string>();
    for (const [key, n] of sorted) byKey.set(key, n.replacement);
    const join = (flags: 'i' | '') => {
      const parts = sorted.filter(([, n]) => n.flags === flags).map(([, n]) => n.pattern);
      return parts.length ? new RegExp(parts.join('|'), `gu${flags}`) : null;
    };
    this.compiled = { insensitive: join('i'), sensitive: join(''), byKey };
    return this.compiled;
  }

  scrub(value: string): string {
    if (this.needles.size === 0) return value;
    const { insensitive, sensitive, byKey } = this.compile();
    let out = value;
    if (insensitive) out = out.replace(insensitive, (m) => byKey.get(`i:${m.toLowerCase()}`) ?? STRIPPED);
    if (sensitive) out = out.replace(sensitive, (m) => byKey.get(`:${m}`) ?? STRIPPED);
    return out;
  }
}

/** Creates the anonymizer for one export. Throws RangeError on a short secret when a mode is set. */
export function createAnonymizer(options: PrivacyOptions): Anonymizer {
  const mode = options.anonymize;
  if (mode && options.secret.length < MIN_ANONYMIZE_SECRET_LENGTH) {
    throw new RangeError(`the anonymisation secret must be at least ${MIN_ANONYMIZE_SECRET_LENGTH} characters`);
  }
  const redacted = mode ? PII_KINDS : PII_KINDS.filter((k) => options.redact.includes(k));
  const kinds = new Set<PiiKind>(redacted);
  const identities = new IdentityScrubber();

  function text(value: string): string {
    const scrubbed = mode ? identities.scrub(value) : value;
    return kinds.size ? redactPii(scrubbed, kinds) : scrubbed;
  }

  function json<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  return {
    mode,
    redacted,
    get changesText() {
      return mode !== null || kinds.size > 0;
    },
    testerId: (id) => (id === null || !mode ? id : mode === 'strip' ? null : pseudonymFor(id, options.secret)),
    testerDetail: (value) => (mode ? null : value),
    remember(identity) {
      if (!mode) return;
      const replacement = mode === 'pseudonymize' ? pseudonymFor(identity.id ?? identity.email ?? identity.name ?? '', options.secret) : STRIPPED;
      identities.add(identity.id, '', replacement, false);
      identities.add(identity.email, 'i', replacement, false);
      identities.add(identity.name, 'i', replacement, true);
      for (const part of identity.name?.split(/\s+/) ?? []) {
        if (/^\p{Lu}\p{L}{2,}$/u.test(part)) identities.add(part, '', replacement, true);
      }
    },
    text,
    json,
  };
}
