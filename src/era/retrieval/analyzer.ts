/**
 * The text analysis of the lexical retriever, the same for passages and questions: Unicode-normalised,
 * lower-cased words, apostrophes dropped ("didn't" → "didnt", "member's" → "member"), hyphenated
 * compounds kept whole as well as split ("no-call/no-show" → call, nocall, show, noshow), common function words dropped, and each word reduced to its Porter2 (Snowball English) stem,
 * the stemmer Postgres's `english` configuration uses.
 */
import stem from 'wink-porter2-stemmer';

/** Words too common to say anything about which passage answers a question. */
const STOPWORDS = new Set(
  (
    'a about above after again all am an and any are as at be because been before being below between both but by can could did do does doing ' +
    'down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself ' +
    'just me more most my myself no nor not of off on once only or other our ours ourselves out over own same she should so some such than ' +
    'that the their theirs them themselves then there these they this those through to too under until up very was we were what when where ' +
    'which while who whom why will with would you your yours yourself yourselves im ive id dont doesnt didnt cant wont isnt arent wasnt ' +
    'hes shes theyre thats whats lets also get got ok okay hey hi thanks please us one'
  ).split(' '),
);

/** Stems are cached: the same few thousand words recur across every passage and question. */
const stemCache = new Map<string, string>();
const MAX_CACHE = 50_000;

function stemmed(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /^\d+$/.test(word) ? word : stem(word);
    if (stemCache.size < MAX_CACHE) stemCache.set(word, s);
  }
  return s;
}

/** Normalises text for matching: NFKC, lower case, ASCII apostrophes and dashes. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/[\u2010-\u2014]/g, '-');
}

/**
 * The terms of a text, in order, repeats kept (a term's count in a passage is its frequency).
 * Stopwords are dropped, except inside a compound ("no-show" gives "show" and "noshow").
 */
export function analyse(text: string): string[] {
  const out: string[] = [];
  // "/" separates ("no-call/no-show" is two compounds); "-" joins (a compound is also one word).
  const flat = normaliseText(text).replace(/'s\b/g, '').replace(/'/g, '').replace(/\//g, ' ');
  for (const token of flat.match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? []) {
    const parts = token.split('-');
    for (const part of parts) if (!STOPWORDS.has(part) && part.length > 0) out.push(stemmed(part));
    if (parts.length > 1) out.push(stemmed(parts.join('')));
  }
  return out;
}
