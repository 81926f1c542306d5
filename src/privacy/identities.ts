/** The testers an export may mention, so the anonymizer can scrub them from text wherever they appear. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Anonymizer, TesterIdentity } from './anonymizer';

/**
 * Every tester the database knows (sessions with their e-mail and name; ids in the call log and the
 * prompt-capture log, corrections included), taught to ANONYMIZER. Does nothing when the export is
 * not anonymised. A handful of rows per tester: testers are people, not traffic.
 */
export async function rememberKnownTesters(db: Kysely<Database>, anonymizer: Anonymizer): Promise<number> {
  if (!anonymizer.mode) return 0;
  const identities: TesterIdentity[] = await db
    .selectFrom('prompt_tuning_sessions')
    .select(['tester_id as id', 'tester_email as email', 'tester_name as name'])
    .distinct()
    .execute();
  const ids = await db
    .selectFrom('llm_calls').select('tester_id as id').where('tester_id', 'is not', null)
    .union(db.selectFrom('nlu_prompt_logs').select('user_id as id'))
    .union(db.selectFrom('nlu_prompt_logs').select('corrected_by as id').where('corrected_by', 'is not', null))
    .execute();
  for (const identity of identities) anonymizer.remember(identity);
  for (const { id } of ids) anonymizer.remember({ id });
  return identities.length + ids.length;
}

/**
 * JSON lines (one document per line) with every string passed through ANONYMIZER: for exports written
 * as JSONL by code that knows nothing of privacy (generation fine-tuning data).
 */
export async function* anonymizedJsonLines(lines: AsyncIterable<string>, anonymizer: Anonymizer): AsyncGenerator<string, void, undefined> {
  for await (const chunk of lines) {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      yield `${JSON.stringify(anonymizer.json(JSON.parse(line) as unknown))}\n`;
    }
  }
}
