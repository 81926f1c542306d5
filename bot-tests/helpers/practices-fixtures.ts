/**
 * Example data for the best-practices analysis: tuning sessions of several testers whose ERA replies
 * follow four styles per topic — acknowledge + numbered steps + citation + ER (liked), steps without the
 * acknowledgement (mixed notes), a wall of text (improvement notes), a clarifying question (no notes) —
 * each turn with its topic in nlu_prompt_logs and its model in the metadata. Judge scores are the fake
 * judge's (`defaultJudgeScores`, from the reply text) unless `judge: false` (then the rows stay unjudged,
 * for the loopback judge to score). Deterministic: the same options write the same data.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { defaultJudgeScores } from './fake-insights';

type Db = Kysely<Database>;

export const PRACTICE_TOPICS = ['attendance', 'leave', 'harassment', 'pay', 'safety'] as const;
export type PracticeTopic = (typeof PRACTICE_TOPICS)[number];

const QUESTIONS: Record<PracticeTopic, string[]> = {
  attendance: ['My trainer did not show up for her 6am shift and did not call. Second time this month.', 'One of my cashiers keeps arriving 20 minutes late. What do I do?'],
  leave: ['An employee asked for three weeks off for surgery. How do I handle it?', 'Can I deny a vacation request during our busy season?'],
  harassment: ['A team member told me a coworker keeps making comments about her appearance.', 'Someone reported that a supervisor yells at one employee in front of others.'],
  pay: ['An employee says her last paycheck was short by six hours.', 'Do I have to pay someone for the time they stayed late to finish closing?'],
  safety: ['A stocker hurt his back lifting boxes this morning.', 'An employee refuses to wear the safety glasses. What can I do?'],
};

const ACK = 'That sounds stressful, and it is good that you are handling it carefully.';

/** ERA's reply in one of the four styles. */
export function styledReply(style: 'ack_steps' | 'steps' | 'wall' | 'question', topic: PracticeTopic): string {
  switch (style) {
    case 'ack_steps':
      return `${ACK} Under the ${topic} policy [1], here is how to proceed.\n\n1. Document what happened, with dates and times [1].\n2. Meet the employee privately and listen to their side, including any personal circumstances.\n3. Contact Employee Relations (ER) before deciding on any action.`;
    case 'steps':
      return `Per the ${topic} policy [1]:\n\n1. Record the facts.\n2. Talk to the employee.\n3. Decide on the next step.`;
    case 'wall':
      return `There are many things to consider here and the ${topic} policy covers a lot of ground, so you may wish to consider looking at the overall picture, including the history, the team, the expectations that were set, how other cases were handled in the past, what the employee might say, whether there are patterns, and whether anything else is going on that could matter, because every situation is different and it is hard to give a single answer without knowing more about what exactly happened and who was involved and when it started and what was said at the time by everyone who was there.`;
    case 'question':
      return `Before I suggest anything: how long has this been going on, and has it been discussed with the employee before?`;
  }
}

export interface PracticeSeedOptions {
  /** Sessions to write (default 12). */
  sessions?: number;
  /** Turns per session (default 10: two per topic). */
  turnsPerSession?: number;
  /** The model recorded on the turns (default claude-sonnet-5-5). */
  model?: string;
  /** Store the fake judge's scores (default true). */
  judge?: boolean;
  /** Tester id prefix (default tester). */
  testerPrefix?: string;
}

export interface SeededPractices {
  sessionIds: string[];
  turnIds: string[];
}

const STYLES = ['ack_steps', 'steps', 'wall', 'question', 'steps'] as const;

/** Writes the example data; returns the sessions and turns written. */
export async function seedPracticeData(db: Db, options: PracticeSeedOptions = {}): Promise<SeededPractices> {
  const sessions = options.sessions ?? 12;
  const perSession = options.turnsPerSession ?? 10;
  const model = options.model ?? 'claude-sonnet-5-5';
  const prefix = options.testerPrefix ?? 'tester';
  const sessionIds: string[] = [];
  const turnIds: string[] = [];
  for (let s = 0; s < sessions; s++) {
    const tester = `${prefix}-${s % 4}`;
    const session = await db.insertInto('prompt_tuning_sessions')
      .values({ tester_id: tester, master_prompt_version: 'abc1234', session_end: new Date(Date.UTC(2026, 10, 20, 10, s)) })
      .returning('id').executeTakeFirstOrThrow();
    sessionIds.push(session.id);
    for (let i = 0; i < perSession; i++) {
      const topic = PRACTICE_TOPICS[i % PRACTICE_TOPICS.length] ?? 'attendance';
      const style = STYLES[(s + i + Math.floor(i / PRACTICE_TOPICS.length)) % STYLES.length] ?? 'steps';
      const question = QUESTIONS[topic][(s + i) % 2] ?? '';
      const reply = styledReply(style, topic);
      const scores = options.judge === false ? null : defaultJudgeScores(reply);
      const turn = await db.insertInto('tuning_conversation_turns').values({
        session_id: session.id, turn_number: i + 1, user_message: question, era_response: reply, processing_time_ms: 900,
        metadata: { model, offline: false },
        has_policy_citation: style === 'ack_steps' || style === 'steps',
        appropriate_action_suggested: style === 'ack_steps',
        structure_complete: style === 'ack_steps' || style === 'steps',
        professionalism_score: scores?.professionalism ?? null,
        empathy_score: scores?.empathy ?? null,
        clarity_score: scores?.clarity ?? null,
      }).returning('id').executeTakeFirstOrThrow();
      turnIds.push(turn.id);
      await db.insertInto('nlu_prompt_logs').values({
        user_id: tester, conversation_id: session.id, message_index: i + 1, turn_id: turn.id, prompt: question,
        predicted_intent: topic, confidence: 0.9, source: 'rule',
      }).execute();
      const note = (text: string, category: string | null, source: string, reaction?: string) =>
        db.insertInto('tuning_improvements').values({ turn_id: turn.id, improvement_note: text, category, metadata: { source, tester_id: tester, ...(reaction ? { reaction } : {}) } }).execute();
      if (style === 'ack_steps' && (s + i) % 3 !== 0) await note('Looks good', null, 'looks_good');
      if (style === 'ack_steps' && (s + i) % 3 === 0) await note('Thumbs up', null, 'feedback_loop', 'like');
      if (style === 'steps' && (s + i) % 2 === 0) await note('Too curt, needs more empathy', 'tone', 'card');
      if (style === 'wall') await note('Wall of text, give steps', 'structure', 'card');
    }
  }
  return { sessionIds, turnIds };
}
