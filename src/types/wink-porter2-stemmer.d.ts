/** wink-porter2-stemmer ships no types: it exports one function, the Porter2 (Snowball English) stemmer. */
declare module 'wink-porter2-stemmer' {
  function stem(word: string): string;
  export = stem;
}
