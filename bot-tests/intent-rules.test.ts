/** The intent topics and the keyword rules, on realistic manager messages and on small talk. */
import {
  INTENT_IDS,
  INTENT_RULES,
  INTENT_TOPICS,
  intentLabel,
  InvalidIntentError,
  isIntentId,
  matchRules,
  parseIntentId,
  type IntentId,
} from '../src/intent';

const MESSAGES: Array<[IntentId, string]> = [
  ['attendance', "One of my front desk staff was a no-call/no-show for Saturday's opening shift. What do I do?"],
  ['attendance', 'Jenna keeps coming in 15 minutes late. How should I handle the tardiness?'],
  ['attendance', 'An employee didn’t show up yesterday and never called. Second time this month.'],
  ['scheduling', 'Two trainers want to swap shifts next week. Do I need to approve it?'],
  ['scheduling', 'How far ahead do I have to post the weekly schedule, and how do I handle schedule change requests?'],
  ['scheduling', 'Can I make a part-timer pick up extra shifts over the holidays?'],
  ['leave', 'Can an employee use PTO during their first 90 days?'],
  ['leave', "My assistant manager asked about FMLA for her father's surgery. What are the steps?"],
  ['leave', 'How much sick time do part-timers accrue?'],
  ['discipline', "I need to give a written warning to a trainer for repeated issues. What's the process?"],
  ['discipline', 'What does progressive discipline look like here?'],
  ['discipline', 'How do I put someone on a performance improvement plan?'],
  ['harassment', 'A member told me one of our trainers has been making sexual comments to a coworker.'],
  ['harassment', 'An employee says her supervisor is retaliating against her for reporting discrimination.'],
  ['harassment', 'A coworker keeps sending her inappropriate messages after hours. What should I do?'],
  ['safety', 'A housekeeper slipped on the wet floor in the locker room and hurt her wrist.'],
  ['safety', "An instructor got injured during a class. Do we file workers' comp?"],
  ['safety', 'There is a frayed cable on one of the cable machines. Is that a hazard I need to report?'],
  ['termination', 'What paperwork do I need to terminate an employee?'],
  ['termination', 'A trainer resigned without notice. When is her final paycheck due?'],
  ['termination', 'Do I have to do an exit interview when someone quits?'],
  ['pay', 'Is overtime calculated weekly or daily for our front desk staff?'],
  ['pay', 'An employee forgot to clock out three times this week. How do I fix the time clock?'],
  ['pay', 'A trainer says his paycheck was short 6 hours. How do we correct a payroll error?'],
  ['pay', 'Do part-timers get a meal break on a 6 hour shift?'],
  ['conduct', 'Can staff wear hoodies or is that against the dress code?'],
  ['conduct', 'A trainer posted a video of a member on TikTok without permission.'],
  ['conduct', 'One of my employees is always on his phone at the front desk.'],
  ['conduct', 'Is it ok for a trainer to be dating a member?'],
  ['accommodation', 'An employee with a back disability is asking for a stool at the front desk. How do I handle the accommodation?'],
  ['accommodation', 'A pregnant trainer wants to stop teaching spin classes. What are her options?'],
  ['accommodation', 'A new hire asked to leave early on Fridays for religious observance.'],
  ['accommodation', 'Her doctor gave her lifting restrictions. Can she still work the floor?'],
];

const SMALL_TALK = [
  'hi',
  'Hello ERA! How are you today?',
  'thanks, that was helpful',
  'Good morning',
  'What can you help me with?',
  'tell me a joke',
  "What's the weather like in Seattle?",
  'see you later!',
  'Who won the game last night?',
  'Can you summarize what we talked about?',
];

describe('intent topics', () => {
  test('are the knowledge-base areas plus other, each with a label', () => {
    expect(INTENT_IDS).toEqual([
      'attendance', 'scheduling', 'leave', 'discipline', 'harassment', 'safety', 'termination', 'pay', 'conduct', 'accommodation', 'other',
    ]);
    for (const topic of INTENT_TOPICS) {
      expect(topic.label.length).toBeGreaterThan(2);
      expect(topic.covers.length).toBeGreaterThan(10);
    }
    expect(intentLabel('leave')).toBe('Leave & time off');
    expect(intentLabel('retired-topic')).toBe('retired-topic');
    expect(isIntentId('pay')).toBe(true);
    expect(isIntentId('Pay')).toBe(false);
  });

  test('parse an id or a label in any case, and reject anything else listing the topics', () => {
    expect(parseIntentId(' Leave ')).toBe('leave');
    expect(parseIntentId('safety & injuries')).toBe('safety');
    expect(() => parseIntentId('payroll')).toThrow(InvalidIntentError);
    expect(() => parseIntentId(42)).toThrow(InvalidIntentError);
    const err: unknown = (() => {
      try {
        return parseIntentId('payroll');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidIntentError);
    expect((err as InvalidIntentError).userMessage).toMatch(/"payroll" is not a topic I know\. Choose one of: attendance, scheduling, .*accommodation, other\./);
  });

  test('every topic but other has rules, and rule names say their topic', () => {
    const topics = new Set(INTENT_RULES.map((r) => r.topic));
    expect([...topics].sort()).toEqual(INTENT_IDS.filter((id) => id !== 'other').sort());
    for (const rule of INTENT_RULES) {
      expect(rule.name.startsWith(`${rule.topic}.`)).toBe(true);
      expect([0.7, 0.9]).toContain(rule.confidence);
      // A global regex is stateful under test(): a second message would skip its first match.
      expect(rule.pattern.global).toBe(false);
    }
  });
});

describe('intent rules', () => {
  test('every topic has at least two realistic messages below', () => {
    for (const id of INTENT_IDS.filter((i) => i !== 'other')) {
      expect(MESSAGES.filter(([topic]) => topic === id).length).toBeGreaterThanOrEqual(2);
    }
  });

  test.each(MESSAGES)('%s: %s', (topic, message) => {
    const match = matchRules(message);
    expect(match?.intent).toBe(topic);
    expect(match?.ruleName.startsWith(`${topic}.`)).toBe(true);
    expect(match?.confidence).toBeGreaterThanOrEqual(0.4);
    expect(match?.confidence).toBeLessThanOrEqual(0.95);
  });

  test.each(SMALL_TALK)('no rule fires for small talk: %s', (message) => {
    expect(matchRules(message)).toBeNull();
  });

  test('a strong phrase scores 0.9 and a weaker keyword 0.7', () => {
    expect(matchRules('He was a no-call no-show on Sunday')).toEqual({ intent: 'attendance', confidence: 0.9, ruleName: 'attendance.no_call_no_show' });
    expect(matchRules('Quick question about the shift on Sunday')).toEqual({ intent: 'scheduling', confidence: 0.7, ruleName: 'scheduling.shift' });
  });

  test('more evidence for one topic raises its score a little, capped', () => {
    const one = matchRules('How is overtime calculated?');
    const more = matchRules('How is overtime calculated on the time clock for the payroll period?');
    expect(one?.confidence).toBe(0.9);
    expect(more?.intent).toBe('pay');
    expect(more?.confidence).toBeGreaterThan(0.9);
    expect(more?.confidence).toBeLessThanOrEqual(0.95);
  });

  test('a word inside a longer phrase of another topic counts for the longer phrase', () => {
    // "paycheck" (pay) is part of "final paycheck" (termination).
    const match = matchRules('When is the final paycheck due?');
    expect(match).toEqual({ intent: 'termination', confidence: 0.9, ruleName: 'termination.final_pay' });
  });

  test('two close topics lower the confidence under the review threshold; ties go to the higher-stakes topic', () => {
    const tie = matchRules('He got a written warning and now says it is harassment.');
    expect(tie?.intent).toBe('harassment');
    expect(tie?.confidence).toBeLessThan(0.7);
    const clear = matchRules('She slipped near the shift board');
    expect(clear?.intent).toBe('safety');
    // 0.9 against 0.7 is not close: no penalty.
    expect(clear?.confidence).toBe(0.9);
  });

  test('typographic apostrophes and dashes match like ASCII ones', () => {
    expect(matchRules('She didn’t show up today')?.ruleName).toBe('attendance.did_not_show');
    expect(matchRules('a no‑call on Friday')?.ruleName).toBe('attendance.no_call_no_show');
  });

  test('acronyms match only in capitals', () => {
    expect(matchRules('Does ADA cover this?')?.intent).toBe('accommodation');
    expect(matchRules('Is OT paid at time and a half?')?.intent).toBe('pay');
    expect(matchRules('I got it, ot sure')).toBeNull();
  });
});
