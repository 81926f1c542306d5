/**
 * Text as Postgres can store it. TEXT rejects U+0000, and a lone UTF-16 surrogate cannot be encoded
 * as UTF-8, so both would fail the insert and lose the tester's message. They are removed or
 * replaced instead, and the caller is told so it can say so.
 */
export interface CleanText {
  text: string;
  /** How many NUL characters were removed. */
  removedNul: number;
  /** How many lone surrogates were replaced with U+FFFD. */
  replacedSurrogates: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes NUL characters and replaces lone surrogates. */
export function cleanText(input: string): CleanText {
  let removedNul = 0;
  let replacedSurrogates = 0;
  const withoutNul = input.replace(/\u0000/g, () => {
    removedNul += 1;
    return '';
  });
  const text = withoutNul.replace(LONE_SURROGATE, () => {
    replacedSurrogates += 1;
    return '\uFFFD';
  });
  return { text, removedNul, replacedSurrogates };
}

/** A sentence telling the tester what cleanText changed, or null when nothing changed. */
export function describeCleaning(c: CleanText): string | null {
  const parts: string[] = [];
  if (c.removedNul > 0) parts.push(`removed ${c.removedNul} NUL character${c.removedNul === 1 ? '' : 's'}`);
  if (c.replacedSurrogates > 0) {
    parts.push(`replaced ${c.replacedSurrogates} broken character${c.replacedSurrogates === 1 ? '' : 's'} with �`);
  }
  return parts.length === 0 ? null : `Note: I ${parts.join(' and ')} that the database cannot store.`;
}
