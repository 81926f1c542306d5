/** Word counting and sentence splitting shared by the chunker (plain text, no Markdown parsing). */

/** Words as whitespace-separated tokens: the measure chunk sizes are given in. */
export function countWords(text: string): number {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
}

// A period after these does not end a sentence ("7:00 a.m. on", "e.g. a stool", "Dr. Lee").
const ABBREVIATION = /(?:\b(?:[A-Za-z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|No|vs|etc|Inc|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.)$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+/;

/** A list item's marker alone ("1.", "2)") is the start of its item, never a sentence of its own. */
const BARE_LIST_MARKER = /^\s*\d+[.)]$/;

/**
 * Splits text into sentences. Each line of a list is its own unit (list items rarely end with a
 * period); other lines are split after `.`, `!` or `?` followed by a capital, a digit or a quote,
 * except after common abbreviations. With `keepListItems`, a list item stays whole even when it holds
 * several sentences.
 */
export function splitSentences(text: string, options: { keepListItems?: boolean } = {}): string[] {
  const units: string[] = [];
  const whole = new Set<string>();
  let paragraph: string[] = [];
  const flushParagraph = () => {
    if (paragraph.length > 0) units.push(paragraph.join(' '));
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') flushParagraph();
    else if (LIST_ITEM.test(line)) {
      flushParagraph();
      units.push(line.trim());
      if (options.keepListItems) whole.add(line.trim());
    } else paragraph.push(line.trim());
  }
  flushParagraph();

  const sentences: string[] = [];
  for (const unit of units) {
    if (whole.has(unit)) {
      sentences.push(unit);
      continue;
    }
    const pieces = unit.split(/(?<=[.!?]["')\]]?)\s+(?=["'(\[]?[A-Z0-9])/);
    let pending = '';
    for (const piece of pieces) {
      pending = pending ? `${pending} ${piece}` : piece;
      if (!ABBREVIATION.test(pending) && !BARE_LIST_MARKER.test(pending)) {
        sentences.push(pending);
        pending = '';
      }
    }
    if (pending) sentences.push(pending);
  }
  return sentences.filter((s) => s.trim() !== '');
}
