/** Training-dataset commands in Teams: /plan, /conversation, /quality, /review, /approve, /flag. */
import { conversationDetail, moveReview, parsePlanFilter, planOverview, qualityOverview, type ReviewMove } from '../../generation';
import { type CommandContext, type CommandHandler, sendText } from '../command-context';

const num = (v: string | number | null | undefined, digits = 1): string => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
const clip = (t: string, n = 160): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** `/plan [filters]`: counts by status, tier and persona, and a page of the filtered list. */
export async function planCommand({ turn: context, deps, arg }: CommandContext): Promise<void> {
  const { filter, page, errors } = parsePlanFilter(arg ?? '');
  if (errors.length) {
    await sendText(context, `I couldn't read those filters: ${errors.join('; ')}. Example: \`/plan persona=marcus tier=1 status=planned page=2\`.`);
    return;
  }
  const o = await planOverview(deps.db, filter, page);
  if (o.counts.length === 0) {
    await sendText(context, 'The training dataset is empty. Load the plan with `npm run gen -- plan import examples/financial-planning/plan.json`.');
    return;
  }
  const line = (dim: string) => o.counts.filter((c) => c.dimension === dim).map((c) => `${c.value} ${c.n}`).join(' · ');
  const rows = o.rows.map(
    (r) => `- **${r.conversation_number}** ${r.conversation_id} · ${r.persona_name} · ${r.tier}${r.tier_template ? ` (${r.tier_template})` : ''} · ${clip(r.topic_category, 40)} · ${r.generation_status ?? 'planned'}${r.quality_score ? ` · quality ${num(r.quality_score)}` : ''}`,
  );
  await sendText(context, 
    [
      `**Training dataset** — by status: ${line('status')}`,
      `by tier: ${line('tier')}`,
      `by persona: ${line('persona')}`,
      '',
      `${o.total} conversation(s) match${arg ? ` \`${arg}\`` : ''}; page ${o.page} of ${o.pages}:`,
      ...(rows.length ? rows : ['(none on this page)']),
      '',
      '`/conversation N` shows one; filters: persona= tier= status= template= topic= quality=4-5 page=',
    ].join('\n'),
  );
}

/** `/conversation N`: one training conversation with its arc, turns, scores and completeness. */
export async function conversationCommand({ turn: context, deps, arg }: CommandContext): Promise<void> {
  const n = Number(arg);
  if (!arg || !Number.isInteger(n) || n < 1) {
    await sendText(context, 'Give the conversation number: `/conversation 12`.');
    return;
  }
  const { conversation: c, turns, quality: q } = await conversationDetail(deps.db, n);
  const lines = [
    `**${c.conversation_number} · ${c.conversation_id}** — ${c.persona_name} (${c.persona_type}), ${c.tier}${c.tier_template ? ` / ${c.tier_template}` : ''}, ${c.generation_status ?? 'planned'}`,
    `Topic: ${c.topic_category}${c.topic_description ? ` — ${clip(c.topic_description, 200)}` : ''}`,
    `Arc: ${c.starting_emotion ?? '?'} (${num(c.starting_emotion_intensity, 2)}) → ${c.ending_emotion ?? '?'} (${num(c.ending_emotion_intensity, 2)})${c.emotional_arc_description ? `: ${clip(c.emotional_arc_description, 200)}` : ''}`,
    `Scores: overall ${num(c.quality_score)} · empathy ${num(c.empathy_score)} · clarity ${num(c.clarity_score)} · appropriateness ${num(c.appropriateness_score)} · brand voice ${num(c.brand_voice_score)}`,
  ];
  if (q) {
    lines.push(
      `Completeness: emotional context ${q.has_complete_emotional_context ? 'yes' : 'no'} · progression ${q.has_emotional_progression ? 'yes' : 'no'} · strategy ${q.has_primary_strategy && q.has_strategy_rationale ? 'yes' : 'no'} · word-choice rationales ${num(q.word_choice_rationale_completeness, 2)} · ready for training ${q.ready_for_training ? 'yes' : 'no'}${q.needs_review ? ' · **needs review**' : ''}`,
    );
  }
  lines.push('', turns.length ? `${turns.length} turn(s):` : `Planned: ${c.turn_count} turn(s), not generated yet.`);
  for (const t of turns) lines.push(`- **${t.turn_number}. Client:** ${clip(t.user_input)}\n  **Planner:** ${clip(t.target_response, 240)}`);
  if (c.reviewer_notes) lines.push('', `Reviewer notes: ${clip(c.reviewer_notes, 400)}`);
  await sendText(context, lines.join('\n'));
}

/** `/quality`: averages, distribution, and what needs review. */
export async function qualityCommand({ turn: context, deps }: CommandContext): Promise<void> {
  const o = await qualityOverview(deps.db);
  if (o.averages.n === 0) {
    await sendText(context, 'No conversation has quality metrics yet: import seeds (`npm run gen -- seed import …`) or generate some.');
    return;
  }
  const a = o.averages;
  await sendText(context, 
    [
      `**Quality** over ${a.n} conversation(s): overall ${num(a.overall, 2)} · empathy ${num(a.empathy, 2)} · clarity ${num(a.clarity, 2)} · appropriateness ${num(a.appropriateness, 2)} · brand voice ${num(a.brand, 2)}; ready for training ${a.ready} of ${a.n}`,
      `Distribution: ${o.distribution.map((d) => `${d.bucket}: ${d.n}`).join(' · ')}`,
      o.needsReview.length
        ? `Needs review: ${o.needsReview.map((r) => `${r.conversation_number} (${num(r.overall_quality_score)})`).join(', ')}`
        : 'Nothing needs review.',
    ].join('\n'),
  );
}

/** `/review N`, `/approve N`, `/flag N notes`: moves a conversation through review. */
export function reviewCommand(move: ReviewMove): CommandHandler {
  return ({ turn, deps, tester, arg }) => review(turn, deps, tester, move, arg);
}

async function review(context: CommandContext['turn'], deps: CommandContext['deps'], tester: CommandContext['tester'], move: ReviewMove, arg: string | null): Promise<void> {
  const m = /^(\d+)(?:\s+([\s\S]+))?$/.exec((arg ?? '').trim());
  if (!m) {
    await sendText(context, `Give the conversation number${move === 'flag' ? ' and what is wrong' : ''}: \`/${move} 12${move === 'flag' ? ' tone too clinical in turn 2' : ''}\`.`);
    return;
  }
  const number = Number(m[1]);
  const notes = m[2]?.trim().slice(0, 2000) || null;
  const { from, to } = await moveReview(deps.db, number, move, tester.email ?? tester.name ?? tester.id, notes);
  deps.logger.info({ testerId: tester.id, conversation: number, move, from, to }, 'training conversation reviewed');
  await sendText(context, `Conversation ${number}: ${from} → **${to}**${notes ? `, with your note recorded` : ''}.`);
}
