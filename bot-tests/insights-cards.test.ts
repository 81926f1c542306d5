/**
 * The tuning loop's cards render from their templates and pass the adaptivecards parser and validator;
 * what each shows (diff colours and clipping, buttons only when they can work, the offline digest,
 * Cancel while running, metric changes and "judge offline") is asserted on the expanded JSON.
 */
import type * as AdaptiveCards from 'adaptivecards';
import { comparisonCard, replayProgressCard, scoreAverageFacts, suggestionCard, turnScoresLine } from '../src/cards';
import { cardTexts } from './helpers/bot-harness';

// The package's lib/ is ES modules without file extensions, which Node cannot load; dist/ is the same API
// bundled as UMD, typed by lib's declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCards;

function validate(card: Record<string, unknown>): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i += 1) problems.push(context.getEventAt(i).message);
  for (const e of parsed.validateProperties().validationEvents) problems.push(e.message);
  if (JSON.stringify(card).includes('${')) problems.push('an unexpanded ${…} is left');
  return problems;
}

const actions = (card: Record<string, unknown>) => ((card.actions ?? []) as Array<{ type: string; title: string; verb?: string; data?: unknown; url?: string }>);
const runs = (card: Record<string, unknown>) => {
  const out: Array<{ text: string; color: string }> = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.type === 'TextRun') out.push({ text: String(o.text), color: String(o.color) });
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
};

const PATCH = ['# Suggested by Tuning Bot', '', 'diff --git a/p.md b/p.md', '--- a/p.md', '+++ b/p.md', '@@ -1,3 +1,3 @@ answers N1 (tone)', ' keep', '-old line', '+new line', ''].join('\n');
const base = {
  suggestionId: '11111111-2222-4333-8444-555555555555', sessionId: 'aaaaaaaa-2222-4333-8444-555555555555', status: 'ready' as const, mode: 'claude' as const,
  baseVersion: 'abc1234', model: 'claude-sonnet-5-5', summary: 'Warmer openings.', edits: [{ notes: ['N1 (tone)'], rationale: 'Acknowledge first.' }],
  refused: [{ reason: 'its find text does not occur in the prompt', rationale: 'Shorter.' }], patch: PATCH, digest: null, error: null, patchUrl: 'https://bot.test/exports/patch/abc',
};

describe('the suggestion card', () => {
  it('shows the diff coloured by line, the edits with their notes, the refused ones, and both buttons', () => {
    const card = suggestionCard(base);
    expect(validate(card)).toEqual([]);
    expect(runs(card)).toEqual([
      { text: '@@ -1,3 +1,3 @@ answers N1 (tone)', color: 'Accent' },
      { text: ' keep', color: 'Default' },
      { text: '-old line', color: 'Attention' },
      { text: '+new line', color: 'Good' },
    ]);
    expect(cardTexts(card)).toEqual(expect.arrayContaining(['**Edit 1** answers N1 (tone): Acknowledge first.', 'Shorter. — not applied: its find text does not occur in the prompt']));
    expect(actions(card).map((a) => [a.type, a.title])).toEqual([['Action.Execute', 'Replay with this suggestion'], ['Action.OpenUrl', 'Download .patch']]);
    expect(actions(card)[0]).toMatchObject({ verb: 'tb.insights.replay', data: { suggestionId: base.suggestionId } });
  });

  it('clips a long diff and says how much is left', () => {
    const long = ['@@ -1,200 +1,200 @@', ...Array.from({ length: 150 }, (_, i) => `+line ${i}`)].join('\n');
    const card = suggestionCard({ ...base, patch: long });
    expect(validate(card)).toEqual([]);
    expect(runs(card)).toHaveLength(60);
    expect(cardTexts(card)).toContain('… 91 more line(s) of the diff: download the .patch for all of it.');
  });

  it('offline: the labelled digest, no diff, no buttons', () => {
    const card = suggestionCard({ ...base, mode: 'offline_digest', model: null, summary: null, edits: [], refused: [], patch: null, digest: 'Offline digest — …\n\n**tone** (1)\n- turn 1 [N1]: Too cold' });
    expect(validate(card)).toEqual([]);
    expect(actions(card)).toEqual([]);
    expect(runs(card)).toEqual([]);
    expect(cardTexts(card).join('\n')).toContain('Offline mode: no prompt edits were proposed');
    expect(cardTexts(card).join('\n')).toContain('- turn 1 [N1]: Too cold');
  });

  it('a failed suggestion says why and offers nothing to click', () => {
    const card = suggestionCard({ ...base, status: 'failed', edits: [], refused: [], patch: null, error: 'Claude could not be reached for a suggestion: 529' });
    expect(validate(card)).toEqual([]);
    expect(actions(card)).toEqual([]);
    expect(cardTexts(card)).toContain('Claude could not be reached for a suggestion: 529');
  });
});

describe('the replay progress card', () => {
  const r = { replayId: 'r1111111-2222-4333-8444-555555555555', sourceSessionId: 'aaaaaaaa-1', status: 'running' as const, done: 2, total: 5, candidateKind: 'suggestion' as const, candidateRef: '11111111-2222', candidateVersion: 'sha256:0123456789ab', mode: 'direct' as const };
  it('shows the bar, the turn being replayed, and Cancel while it runs', () => {
    const card = replayProgressCard(r);
    expect(validate(card)).toEqual([]);
    expect(cardTexts(card)).toEqual(expect.arrayContaining(['[████████░░░░░░░░░░░░] 40%', 'Now: replaying turn 3 of 5', 'Candidate: suggestion 11111111 → sha256:0123456789ab']));
    expect(actions(card)).toEqual([expect.objectContaining({ verb: 'tb.insights.replay.cancel', data: { replayId: r.replayId } })]);
  });
  it('no Cancel once it has ended; a failure says why and offers Retry, a completed replay nothing', () => {
    const card = replayProgressCard({ ...r, status: 'failed', error: 'turn 3: Claude was unavailable (overloaded)' });
    expect(validate(card)).toEqual([]);
    expect(actions(card)).toEqual([{ type: 'Action.Execute', title: 'Retry', verb: 'tb.insights.replay.retry', data: { replayId: r.replayId } }]);
    expect(cardTexts(card)).toContain('turn 3: Claude was unavailable (overloaded)');
    const done = replayProgressCard({ ...r, status: 'completed', done: 5 });
    expect(validate(done)).toEqual([]);
    expect(actions(done)).toEqual([]);
  });
});

describe('the comparison card', () => {
  const metrics = [
    { metric: 'has_policy_citation', a: 0.5, b: 1, delta: 0.5, aTurns: 4, bTurns: 4 },
    { metric: 'empathy_score', a: 3, b: 4.25, delta: 1.25, aTurns: 4, bTurns: 4 },
    { metric: 'clarity_score', a: 4.5, b: 4, delta: -0.5, aTurns: 4, bTurns: 3 },
  ];
  const pairs = [{ turnNumber: 1, sourceSessionId: 'aaaaaaaa-1', userMessage: 'Can I fire her?', oldAnswer: 'x'.repeat(900), newAnswer: 'That sounds stressful.', retrievalDiff: { same: false, added: ['c1'], dropped: [], reordered: [] } }];
  it('per metric old → new with the change and the turns, per turn both answers (clipped), and the full view', () => {
    const card = comparisonCard({ versionsA: ['abc1234'], versionB: ['sha256:0123456789ab'], replays: 1, metrics, judgeMissing: false, pairs, fullViewUrl: 'https://bot.test/full' });
    expect(validate(card)).toEqual([]);
    const texts = cardTexts(card);
    expect(texts).toEqual(expect.arrayContaining(['abc1234 → sha256:0123456789ab', 'Cites a policy', '50%', '100%', '+50 pts', 'Empathy (1-5)', '3.00', '4.25', '+1.25', '−0.50', '4 / 3', 'That sounds stressful.', 'Retrieval: 1 passage(s) added, 0 dropped, 0 moved.']));
    expect(texts.find((x) => x.startsWith('xxx'))).toHaveLength(400);
    expect(texts).toContain('Long answers are cut. Open the full view for everything.');
    expect(actions(card)).toEqual([expect.objectContaining({ type: 'Action.OpenUrl', url: 'https://bot.test/full' })]);
  });
  it('offline: the judge scores say "judge offline"', () => {
    const card = comparisonCard({ versionsA: ['a'], versionB: ['b'], replays: 2, judgeMissing: true, judgeOffline: true, pairs: [], metrics: [{ metric: 'clarity_score', a: null, b: null, delta: null, aTurns: 0, bTurns: 0 }] });
    expect(validate(card)).toEqual([]);
    expect(cardTexts(card)).toEqual(expect.arrayContaining(['judge offline', expect.stringMatching(/^Judge offline \(no ANTHROPIC_API_KEY\)/)]));
  });
});

describe('scores on the tuning card and in /stats', () => {
  const turn = { has_policy_citation: true, appropriate_action_suggested: false, structure_complete: true, professionalism_score: 5, empathy_score: 3, clarity_score: 4 };
  it('one compact line; "judge offline" or pending when there are no judge scores', () => {
    expect(turnScoresLine(turn, 'claude')).toBe('Citation ✓ · Action ✗ · Structure ✓ · Professionalism 5 · Empathy 3 · Clarity 4');
    expect(turnScoresLine({ ...turn, professionalism_score: null, empathy_score: null, clarity_score: null }, 'offline')).toBe('Citation ✓ · Action ✗ · Structure ✓ · judge offline');
    expect(turnScoresLine({ ...turn, professionalism_score: null }, 'claude')).toMatch(/judge scores pending$/);
  });
  it('averages with the turns behind each', () => {
    expect(scoreAverageFacts({ has_policy_citation: { mean: 0.75, n: 4 }, empathy_score: { mean: null, n: 0 } }, 'offline')).toEqual([
      { title: 'Cites a policy', value: '75% (4 turns)' },
      { title: 'Empathy (1-5)', value: 'judge offline' },
    ]);
  });
});
