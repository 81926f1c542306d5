/** Training-dataset commands in Teams: /plan, /conversation, /quality, /review, /approve, /flag. */
import type { TurnContext } from 'botbuilder';
import { conversationDetail, moveReview, parsePlanArgs, planOverview, qualityOverview, type ReviewMove } from '../generation/catalog';
import type { Tester } from '../tuning';
import type { BotDeps } from './deps';

const num = (v: string | number | null | undefined, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
const clip = (t: string, n = 160) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

export async function planCommand(context: TurnContext, deps: BotDeps, arg: string | null): Promise<void> {
  const { filter, page, errors } = parsePlanArgs(arg ?? '');
  if (errors.length) {
    await context.sendActivity(`I couldn't read those filters: ${errors.join('; ')}. Example: \`/plan persona=marcus tier=1 status=planned page=2\`.`);
    return;
  }
  const o = await planOverview(deps.db, filter, page);
  if (o.counts.length === 0) {
    await context.sendActivity('The training dataset is empty. Load the plan with `npm run gen -- plan import examples/financial-planning/plan.json`.');
    return;
  }
  const line = (dim: string) => o.counts.filter((c) => c.dimension === dim).map((c) => `${c.value} ${c.n}`).join(' · ');
  const rows = o.rows.map(
    (r) => `- **${r.conversation_number}** ${r.conversation_id} · ${r.persona_name} · ${r.tier}${r.tier_template ? ` (${r.tier_template})` : ''} · ${clip(r.topic_category, 40)} · ${r.generation_status ?? 'planned'}${r.quality_score ? ` · quality ${num(r.quality_score)}` : ''}`,
  );
  await context.sendActivity(
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

export async function conversationCommand(context: TurnContext, deps: BotDeps, arg: string | null): Promise<void> {
  const n = Number(arg);
  if (!arg || !Number.isInteger(n) || n < 1) {
    await context.sendActivity('Give the conversation number: `/conversation 12`.');
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
  await context.sendActivity(lines.join('\n'));
}

export async function qualityCommand(context: TurnContext, deps: BotDeps): Promise<void> {
  const o = await qualityOverview(deps.db);
  if (o.averages.n === 0) {
    await context.sendActivity('No conversation has quality metrics yet: import seeds (`npm run gen -- seed import …`) or generate some.');
    return;
  }
  const a = o.averages;
  await context.sendActivity(
    [
      `**Quality** over ${a.n} conversation(s): overall ${num(a.overall, 2)} · empathy ${num(a.empathy, 2)} · clarity ${num(a.clarity, 2)} · appropriateness ${num(a.appropriateness, 2)} · brand voice ${num(a.brand, 2)}; ready for training ${a.ready} of ${a.n}`,
      `Distribution: ${o.distribution.map((d) => `${d.bucket}: ${d.n}`).join(' · ')}`,
      o.needsReview.length
        ? `Needs review: ${o.needsReview.map((r) => `${r.conversation_number} (${num(r.overall_quality_score)})`).join(', ')}`
        : 'Nothing needs review.',
    ].join('\n'),
  );
}

export async function reviewCommand(context: TurnContext, deps: BotDeps, tester: Tester, move: ReviewMove, arg: string | null): Promise<void> {
  const m = /^(\d+)(?:\s+([\s\S]+))?$/.exec((arg ?? '').trim());
  if (!m) {
    await context.sendActivity(`Give the conversation number${move === 'flag' ? ' and what is wrong' : ''}: \`/${move} 12${move === 'flag' ? ' tone too clinical in turn 2' : ''}\`.`);
    return;
  }
  const number = Number(m[1]);
  const notes = m[2]?.trim().slice(0, 2000) || null;
  const { from, to } = await moveReview(deps.db, number, move, tester.email ?? tester.name ?? tester.id, notes);
  deps.logger.info({ testerId: tester.id, conversation: number, move, from, to }, 'training conversation reviewed');
  await context.sendActivity(`Conversation ${number}: ${from} → **${to}**${notes ? `, with your note recorded` : ''}.`);
}
