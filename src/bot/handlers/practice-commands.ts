/** `/practices [search | model=… category=… min=N page=N]` and `/practices refresh` (admins). */
import { practicesCard } from '../../cards';
import { listPractices, PracticesBusyError, type PracticeFilter } from '../../insights';
import { type CommandContext, isAdmin, sendCard, sendText } from '../command-context';

const PAGE_SIZE = 5;

/** The filters of the argument, or what is wrong with it. */
export function parsePracticesArg(arg: string): { filter: PracticeFilter } | { error: string } {
  const filter: PracticeFilter = { pageSize: PAGE_SIZE };
  const words: string[] = [];
  for (const token of arg.split(/\s+/).filter(Boolean)) {
    const m = /^(model|category|min|page)=(.*)$/i.exec(token);
    if (!m) {
      words.push(token);
      continue;
    }
    const key = (m[1] ?? '').toLowerCase();
    const value = m[2] ?? '';
    if (value === '' || value.length > 100) return { error: `${key}= needs a value` };
    if (key === 'model') filter.model = value;
    else if (key === 'category') filter.category = value;
    else if (key === 'min') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 100) return { error: `min= is an effectiveness from 0 to 100; "${value.slice(0, 20)}" is not` };
      filter.minEffectiveness = n;
    } else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 100000) return { error: `page= is a page number; "${value.slice(0, 20)}" is not` };
      filter.page = n;
    }
  }
  if (words.length > 0) filter.search = words.join(' ').slice(0, 200);
  return { filter };
}

async function refresh(c: CommandContext): Promise<void> {
  const { turn, deps, tester } = c;
  if (!isAdmin(c)) {
    await sendText(turn, 'Only an admin (ADMIN_ALLOWLIST) can run the best-practices analysis. `/practices` shows the current ones.');
    return;
  }
  if (!deps.practices) {
    await sendText(turn, 'The best-practices analysis is not set up on this bot.');
    return;
  }
  let notice: { text: string; kind: 'good' | 'attention' };
  try {
    const r = await deps.practices.analyze(`teams:${tester.id}`);
    const mode = r.mode === 'offline' ? ' Offline mode: the write-ups are deterministic extractions.' : '';
    notice = {
      kind: 'good',
      text: `Analysis done: ${r.replies} replies, ${r.topReplies} top replies; ${r.created} new, ${r.updated} updated, ${r.archived} archived practice(s).${mode}`,
    };
  } catch (err) {
    if (!(err instanceof PracticesBusyError)) throw err;
    notice = { kind: 'attention', text: err.userMessage };
  }
  const page = await listPractices(deps.db, { pageSize: PAGE_SIZE });
  await sendCard(turn, practicesCard({ ...page, practices: page.items, filters: '', notice }));
}

/** `/practices …`: the card of the practices matching the argument, or a refresh. */
export async function practicesCommand(c: CommandContext): Promise<void> {
  const arg = (c.arg ?? '').trim();
  if (arg.toLowerCase() === 'refresh') {
    await refresh(c);
    return;
  }
  const parsed = parsePracticesArg(arg);
  if ('error' in parsed) {
    await sendText(c.turn, `I couldn't read that: ${parsed.error}. Example: \`/practices leave\` or \`/practices category=leave min=60\`.`);
    return;
  }
  const page = await listPractices(c.deps.db, parsed.filter);
  await sendCard(c.turn, practicesCard({ ...page, practices: page.items, filters: arg }));
}
