/**
 * A synthetic knowledge base for the retrieval benchmark: the real documents' chunks, reworded with
 * seeded random word substitutions, sentence shuffles and club-specific notes, so that the corpus has
 * realistic vocabulary and document frequencies at any size rather than 100 identical copies.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, NewKnowledgeChunk } from '../db';
import { seededRandom } from '../src/seeded-random';

/** Deterministic PRNG (mulberry32), so every run benchmarks the same corpus and queries. */
export { seededRandom };

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

/** Words managers and policies use interchangeably. */
const ALTERNATIVES: Record<string, readonly string[]> = {
  employee: ['team member', 'associate', 'staff member', 'worker'],
  employees: ['team members', 'associates', 'staff', 'crew'],
  manager: ['supervisor', 'lead', 'club leader', 'department head'],
  managers: ['supervisors', 'leads', 'club leaders'],
  club: ['location', 'site', 'gym', 'studio'],
  shift: ['shift', 'rota slot', 'work period', 'scheduled block'],
  member: ['member', 'guest', 'client', 'customer'],
  members: ['members', 'guests', 'clients', 'customers'],
  policy: ['policy', 'procedure', 'guideline', 'standard'],
  days: ['days', 'calendar days', 'working days'],
  hours: ['hours', 'clock hours'],
  warning: ['warning', 'notice', 'reprimand'],
  report: ['report', 'record', 'log'],
  contact: ['contact', 'call', 'email', 'reach'],
  must: ['must', 'should', 'is required to', 'needs to'],
};
const CITIES = ['Riverside', 'Lakeview', 'Harbor Point', 'Maple Grove', 'Cedar Falls', 'Summit', 'Oak Park', 'Bayside', 'Northgate', 'Westfield', 'Pinecrest', 'Fairview'];
const EXTRAS = ['sauna', 'spin studio', 'climbing wall', 'pool deck', 'turf zone', 'cycling room', 'yoga loft', 'recovery lounge', 'smoothie bar', 'childcare wing'];

function reword(text: string, rnd: () => number): string {
  return text.replace(/\b[A-Za-z]+\b/g, (word) => {
    const alternatives = ALTERNATIVES[word.toLowerCase()];
    return alternatives && rnd() < 0.5 ? pick(rnd, alternatives) : word;
  });
}

function shuffleSentences(text: string, rnd: () => number): string {
  const sentences = text.split(/(?<=\.)\s+(?=[A-Z])/);
  for (let i = sentences.length - 1; i > 0; i -= 1) {
    if (rnd() < 0.3) {
      const j = Math.floor(rnd() * (i + 1));
      [sentences[i], sentences[j]] = [sentences[j]!, sentences[i]!];
    }
  }
  return sentences.join(' ');
}

export interface SeedChunk {
  section: string | null;
  content: string;
  /** The section's questions (document expansion), reworded like the text. */
  questions?: readonly string[];
}

/**
 * Adds synthetic documents until the knowledge base holds `total` chunks: `perDocument` chunks per
 * document, each a reworded real chunk plus a note naming a club. Returns the chunks added.
 */
export async function growCorpus(db: Kysely<Database>, seeds: readonly SeedChunk[], total: number, perDocument = 100): Promise<number> {
  const rnd = seededRandom(20261124);
  const existing = await db.selectFrom('knowledge_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  let missing = total - Number(existing.n);
  let added = 0;
  // Growing again (10,000 then 100,000) numbers the new documents after the ones already there.
  const synthetic = await db.selectFrom('knowledge_documents').select((eb) => eb.fn.countAll<string>().as('n')).where('source_path', 'like', 'synthetic/%').executeTakeFirstOrThrow();
  for (let doc = Number(synthetic.n); missing > 0; doc += 1) {
    const count = Math.min(perDocument, missing);
    const city = CITIES[doc % CITIES.length]!;
    const rows: Omit<NewKnowledgeChunk, 'document_id'>[] = Array.from({ length: count }, (_, i) => {
      const seed = seeds[(doc * perDocument + i) % seeds.length]!;
      const note = `At the ${city} ${doc} club, the ${pick(rnd, EXTRAS)} team follows this with local note ${Math.floor(rnd() * 10_000)}.`;
      const content = `${shuffleSentences(reword(seed.content, rnd), rnd)}\n\n${note}`;
      const questions = (seed.questions ?? []).map((q) => reword(q, rnd));
      return { chunk_index: i, section: seed.section, content, word_count: content.split(/\s+/).filter(Boolean).length, questions };
    });
    const sourcePath = `synthetic/${city.toLowerCase().replace(/\s+/g, '-')}-${doc}.md`;
    const { id } = await db.insertInto('knowledge_documents')
      .values({
        source_path: sourcePath,
        title: `${city} ${doc} Club Supplement`,
        topic: null,
        content_hash: createHash('sha256').update(sourcePath).digest('hex'),
        byte_size: rows.reduce((n, r) => n + Buffer.byteLength(r.content), 0),
        chunk_count: rows.length,
      })
      .returning('id').executeTakeFirstOrThrow();
    for (let i = 0; i < rows.length; i += 250) {
      await db.insertInto('knowledge_chunks').values(rows.slice(i, i + 250).map((r) => ({ ...r, document_id: id }))).execute();
    }
    missing -= count;
    added += count;
  }
  return added;
}

/** Manager questions (the quality suite's kind), reworded and padded so each query is different. */
export function benchQueries(base: readonly string[], count: number): string[] {
  const rnd = seededRandom(7);
  const openers = ['', '', 'quick question: ', 'hey, ', 'need help - ', 'what does policy say if '];
  const closers = ['', '', ' thanks', ' asap', ' (district asked)', '?'];
  return Array.from({ length: count }, (_, i) => `${pick(rnd, openers)}${reword(base[i % base.length]!, rnd)}${pick(rnd, closers)}`);
}
