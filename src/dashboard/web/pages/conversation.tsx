/**
 * One training conversation (spec 001 US-TRAIN-006): metadata, tabs for turns, emotional analysis,
 * strategies, sentence breakdown and quality, and the review actions. Arrow keys go to the previous
 * and next conversation.
 */
import {
  Accordion, AccordionHeader, AccordionItem, AccordionPanel, Body1, Button, Caption1, Field, MessageBar, MessageBarBody, Tab, TabList,
  Text, Textarea, Title3, makeStyles, tokens,
} from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { type ConversationDetailResponse, conversationDetailResponse, reviewResponse } from '../../contract';
import { call, download } from '../api';
import { Loadable, Stars, StatusBadge, fmt } from '../parts/common';
import { useApi } from '../parts/use-api';
import { NavLink } from '../parts/nav-link';
import { navigate } from '../router';

type TabId = 'turns' | 'emotions' | 'strategies' | 'sentences' | 'quality';
const useStyles = makeStyles({
  head: { display: 'flex', gap: '12px', alignItems: 'center', flexWrap: 'wrap' },
  meta: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))', gap: '8px', margin: '12px 0' },
  box: { backgroundColor: tokens.colorNeutralBackground1, padding: '12px', borderRadius: tokens.borderRadiusMedium, marginBottom: '8px' },
  pre: { whiteSpace: 'pre-wrap' },
  review: { display: 'flex', gap: '8px', alignItems: 'flex-end', flexWrap: 'wrap', marginTop: '12px' },
});

function Box(props: { title: string; children: React.ReactNode }) {
  return <div className={useStyles().box}><Caption1>{props.title}</Caption1><div>{props.children}</div></div>;
}

function TabBody(props: { tab: TabId; d: ConversationDetailResponse }) {
  const s = useStyles();
  const { d } = props;
  if (props.tab === 'turns') {
    return (
      <Accordion multiple collapsible defaultOpenItems={d.turns.map((t) => t.number)}>
        {d.turns.map((t) => (
          <AccordionItem key={t.number} value={t.number}>
            <AccordionHeader>Turn {t.number}{t.userIntent ? ` · ${t.userIntent}` : ''}</AccordionHeader>
            <AccordionPanel>
              <Box title="Client"><Body1 className={s.pre}>{t.userInput}</Body1></Box>
              <Box title="Target response"><Body1 className={s.pre}>{t.targetResponse}</Body1></Box>
              <Caption1>{t.emotional ? `${t.emotional.primary} (${fmt.num(t.emotional.intensity)})` : 'no emotional context'} · {t.strategy ? t.strategy.primary : 'no strategy'} · {t.sentences.length} sentences</Caption1>
            </AccordionPanel>
          </AccordionItem>
        ))}
      </Accordion>
    );
  }
  if (props.tab === 'emotions') {
    return <>{d.turns.map((t) => (
      <Box key={t.number} title={`Turn ${String(t.number)}`}>
        {t.emotional ? (
          <>
            <Text block>{t.emotional.primary} ({fmt.num(t.emotional.primaryConfidence)}){t.emotional.secondary ? `, ${t.emotional.secondary}` : ''} · intensity {fmt.num(t.emotional.intensity)} · {t.emotional.valence}</Text>
            {Object.entries(t.emotional.indicators).filter(([, v]) => v.length > 0).map(([k, v]) => <Text block key={k}>{k}: {v.join('; ')}</Text>)}
            {t.emotional.progression && <Text block>Progression: {t.emotional.progression}</Text>}
            <Text block>Needs: {t.emotional.clientNeeds.map((n) => `${String(n.priority)}. ${n.need}`).join(' · ')}</Text>
            {t.emotional.redFlags.length > 0 && <Text block>Red flags: {t.emotional.redFlags.map((f) => f.flag).join(' · ')}</Text>}
          </>
        ) : <Text>Not annotated.</Text>}
      </Box>
    ))}</>;
  }
  if (props.tab === 'strategies') {
    return <>{d.turns.map((t) => (
      <Box key={t.number} title={`Turn ${String(t.number)}`}>
        {t.strategy ? (
          <>
            <Text block weight="semibold">{t.strategy.primary}</Text>
            <Text block>{t.strategy.rationale}</Text>
            <Text block>Tone: {t.strategy.tone} · pacing {t.strategy.pacing}{t.strategy.secondary.length ? ` · also ${t.strategy.secondary.join(', ')}` : ''}</Text>
            {t.strategy.techniques.map((x) => <Text block key={x.technique}>• {x.technique}: {x.application} ({x.purpose})</Text>)}
            {t.strategy.avoid.length > 0 && <Text block>Avoid: {t.strategy.avoid.join(', ')}</Text>}
          </>
        ) : <Text>Not annotated.</Text>}
      </Box>
    ))}</>;
  }
  if (props.tab === 'sentences') {
    return <>{d.turns.map((t) => (
      <Box key={t.number} title={`Turn ${String(t.number)}: ${String(t.sentences.length)} sentences`}>
        {t.sentences.map((x) => (
          <div key={x.number}>
            <Text block weight="semibold">{x.number}. {x.text}</Text>
            <Caption1 block>{x.function} · {x.technique} · {x.emotionalPurpose}</Caption1>
            {x.wordChoices.map((w) => <Caption1 block key={w.phrase}>“{w.phrase}”: {w.why}</Caption1>)}
          </div>
        ))}
      </Box>
    ))}</>;
  }
  const q = d.quality;
  if (!q) return <Text>No quality metrics yet (generate or import the conversation).</Text>;
  const check = (v: boolean) => (v ? '✓' : '✗');
  return (
    <Box title="Quality">
      <Text block>Overall <Stars value={q.overall} /></Text>
      <Text block>Empathy {fmt.num(q.empathy, 1)} · clarity {fmt.num(q.clarity, 1)} · appropriateness {fmt.num(q.appropriateness, 1)} · brand voice {fmt.num(q.brandVoice, 1)}</Text>
      <Text block>{check(q.completeEmotionalContext)} complete emotional context · {check(q.emotionalProgression)} emotional progression · {check(q.primaryStrategy && q.strategyRationale)} primary strategy with rationale</Text>
      <Text block>Sentences analysed {q.sentencesAnalyzed ?? '—'} · word-choice rationales {fmt.num(q.wordChoiceCompleteness)} · all fields {check(q.allFieldsComplete)}</Text>
      <Text block>Ready for training {check(q.readyForTraining)} · needs review {q.needsReview ? 'yes' : 'no'} · approved {check(q.reviewerApproved)}</Text>
    </Box>
  );
}

export function ConversationPage(props: { number: number }) {
  const s = useStyles();
  const [tab, setTab] = useState<TabId>('turns');
  const [notes, setNotes] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const { data, error, loading, reload } = useApi(() => call(conversationDetailResponse, `/training/conversations/${String(props.number)}`), String(props.number));
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
      if (e.key === 'ArrowLeft' && data?.previous) navigate(`/training/${String(data.previous)}`);
      if (e.key === 'ArrowRight' && data?.next) navigate(`/training/${String(data.next)}`);
    };
    window.addEventListener('keydown', onKey);
    return () => { window.removeEventListener('keydown', onKey); };
  }, [data]);
  const review = (move: 'review' | 'approve' | 'flag') => {
    call(reviewResponse, `/training/conversations/${String(props.number)}/review`, { method: 'POST', body: { move, notes: notes.trim() || undefined } }).then(
      (r) => {
        setOutcome({ ok: true, text: `${r.from} → ${r.to}` });
        setNotes('');
        reload();
      },
      (err: unknown) => { setOutcome({ ok: false, text: err instanceof Error ? err.message : String(err) }); },
    );
  };
  const c = data?.conversation;
  return (
    <section>
      <div><NavLink to='/training'>← Training data</NavLink></div>
      <Loadable loading={loading} error={error} hasData={data !== null}>
        {data && c && (
          <>
            <div className={s.head}>
              <Title3 as="h1" block>{c.number} · {c.key}</Title3>
              <StatusBadge status={c.status} />
              <Stars value={c.quality} />
              <Button size="small" disabled={!data.previous} onClick={() => { navigate(`/training/${String(data.previous)}`); }}>← Previous</Button>
              <Button size="small" disabled={!data.next} onClick={() => { navigate(`/training/${String(data.next)}`); }}>Next →</Button>
            </div>
            <div className={s.meta}>
              <Box title="Persona">{c.personaName} ({c.personaType}){c.personaDescription ? ` — ${c.personaDescription}` : ''}</Box>
              <Box title="Topic">{c.topic}{c.topicDescription ? ` — ${c.topicDescription}` : ''}</Box>
              <Box title="Tier and template">{c.tier}{c.template ? ` · ${c.template}` : ''} · {c.turns} turns</Box>
              <Box title="Emotional arc">{c.startEmotion ?? '?'} ({fmt.num(c.startIntensity)}) → {c.endEmotion ?? '?'} ({fmt.num(c.endIntensity)}){c.arc ? `: ${c.arc}` : ''}</Box>
              <Box title="Context and outcome">{c.sessionContext ?? '—'} / {c.expectedOutcome ?? '—'}</Box>
              <Box title="Generation">{fmt.when(c.generatedAt)} · {c.durationSeconds === null ? '—' : `${String(c.durationSeconds)} s`} · {c.costCents === null ? '—' : `${String(c.costCents)}¢`}</Box>
            </div>
            <TabList selectedValue={tab} onTabSelect={(_e, d) => { setTab(d.value as TabId); }} aria-label="Conversation detail">
              <Tab value="turns">Turns</Tab>
              <Tab value="emotions">Emotional analysis</Tab>
              <Tab value="strategies">Strategies</Tab>
              <Tab value="sentences">Sentence breakdown</Tab>
              <Tab value="quality">Quality</Tab>
            </TabList>
            <div data-testid="tab-body"><TabBody tab={tab} d={data} /></div>
            {c.reviewerNotes && <Box title="Reviewer notes"><Body1 className={s.pre}>{c.reviewerNotes}</Body1></Box>}
            <div className={s.review}>
              <Field label="Review notes (required to flag)">
                <Textarea aria-label="Review notes" value={notes} onChange={(_e, d) => { setNotes(d.value); }} resize="vertical" />
              </Field>
              <Button onClick={() => { review('review'); }}>Mark as reviewed</Button>
              <Button appearance="primary" onClick={() => { review('approve'); }}>Approve for training</Button>
              <Button onClick={() => { review('flag'); }}>Flag for review</Button>
              <Button
                disabled={data.turns.length === 0}
                onClick={() => {
                  download(`/training/conversations/${String(props.number)}/export`, `${c.key}.json`).catch((err: unknown) => { setOutcome({ ok: false, text: err instanceof Error ? err.message : String(err) }); });
                }}
              >
                Export as JSON
              </Button>
            </div>
            {outcome && <MessageBar intent={outcome.ok ? 'success' : 'error'} data-testid="review-outcome"><MessageBarBody>{outcome.text}</MessageBarBody></MessageBar>}
          </>
        )}
      </Loadable>
    </section>
  );
}
