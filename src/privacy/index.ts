/** Anonymisation and redaction for exports (spec 004's privacy and security notes). */
export { ANONYMIZE_MODES, createAnonymizer, MIN_ANONYMIZE_SECRET_LENGTH, pseudonymFor, type Anonymizer, type AnonymizeMode, type PrivacyOptions, type TesterIdentity } from './anonymizer';
export { parsePiiKinds, PII_KINDS, PII_PLACEHOLDERS, redactPii, type PiiKind } from './pii';
export { anonymizedJsonLines, rememberKnownTesters } from './identities';
