/** The three programmatic metrics: each definition checked on replies that meet it and on ones that miss it by one rule. */
import { OFFLINE_LABEL } from '../src/era';
import { MAX_STRUCTURED_WORDS, needsEscalation, programmaticMetrics, wordCount } from '../src/insights';

const GOOD = [
  "A no-call/no-show on an opening shift is disruptive, so it's right to act today.",
  '',
  '1. Try to reach her today and document each attempt [1].',
  '2. Record the no-call/no-show in the attendance log [2].',
  '3. Do not remove her from the schedule yourself.',
  '',
  '**Contact ER before any termination decision**, with the dates and the attendance log ready.',
].join('\n');

const metrics = (answer: string, userMessage = 'She did not show up and did not call. Can I fire her?', passageCount = 2) =>
  programmaticMetrics({ userMessage, answer, passageCount });

describe('has_policy_citation', () => {
  it('holds when the reply cites a passage it was given', () => {
    expect(metrics(GOOD).has_policy_citation).toBe(true);
    expect(metrics('See [1, 2].').has_policy_citation).toBe(true);
  });
  it('fails without a marker, with only out-of-range markers, or without passages', () => {
    expect(metrics(GOOD.replace(/ \[\d\]/g, '')).has_policy_citation).toBe(false);
    expect(metrics('Per [7], document it.').has_policy_citation).toBe(false);
    expect(metrics(GOOD, undefined, 0).has_policy_citation).toBe(false);
  });
  it('honours the cited numbers given by the caller', () => {
    expect(programmaticMetrics({ userMessage: 'q', answer: 'no markers', passageCount: 3, cited: [2] }).has_policy_citation).toBe(true);
    expect(programmaticMetrics({ userMessage: 'q', answer: '[1]', passageCount: 3, cited: [] }).has_policy_citation).toBe(false);
  });
});

describe('appropriate_action_suggested', () => {
  it('holds for steps plus ER on a termination question', () => {
    expect(metrics(GOOD).appropriate_action_suggested).toBe(true);
  });
  it('fails on a termination question when ER/HR is never named', () => {
    expect(metrics(GOOD.replace('**Contact ER before any termination decision**, with', 'Keep')).appropriate_action_suggested).toBe(false);
  });
  it('needs no escalation for a routine question, but still a step', () => {
    const routine = 'Can two front desk staff swap Saturday shifts?';
    expect(metrics('Swaps are fine when both agree.\n\n1. Update the schedule in the app.\n2. Keep the request on file.', routine).appropriate_action_suggested).toBe(true);
    expect(metrics('Swaps are generally fine when both people agree and the coverage stays the same.', routine).appropriate_action_suggested).toBe(false);
    expect(metrics('Swaps are fine. Update the schedule once both agree.', routine).appropriate_action_suggested).toBe(true);
  });
  it('recognises the escalation triggers of the prompt', () => {
    expect(needsEscalation('An employee told me a member keeps making comments; is that harassment?')).toBe(true);
    expect(needsEscalation('She mentioned a lawyer')).toBe(true);
    expect(needsEscalation('What about her final pay?')).toBe(true);
    expect(needsEscalation('How do I approve PTO for next week?')).toBe(false);
  });
});

describe('structure_complete', () => {
  it('holds for acknowledgement, steps, plain format, short', () => {
    expect(metrics(GOOD).structure_complete).toBe(true);
  });
  it('fails when the reply opens with a list, a heading, or has a table', () => {
    expect(metrics(GOOD.split('\n').slice(2).join('\n')).structure_complete).toBe(false);
    expect(metrics(`## What to do\n${GOOD}`).structure_complete).toBe(false);
    expect(metrics(`${GOOD}\n\n| step | who |\n|---|---|`).structure_complete).toBe(false);
  });
  it('fails with fewer than two steps, or above the word limit', () => {
    expect(metrics('It happens.\n\n1. Document it.').structure_complete).toBe(false);
    const long = `${GOOD}\n\n${'Remember to stay calm and fair. '.repeat(60)}`;
    expect(wordCount(long)).toBeGreaterThan(MAX_STRUCTURED_WORDS);
    expect(metrics(long).structure_complete).toBe(false);
  });
  it('does not count the offline label as the opening line', () => {
    expect(metrics(`${OFFLINE_LABEL}\n${GOOD}`).structure_complete).toBe(true);
    expect(metrics(`${OFFLINE_LABEL}\n- a\n- b`).structure_complete).toBe(false);
  });
});
