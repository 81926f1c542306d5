/**
 * The LLM-ready bundle of a session: one Markdown or JSON file with the prompt's text and version, and
 * every turn with its sources, its metrics and judge scores (or why there are none: "judge offline",
 * "not judged yet", "judge failed"), and its notes — ready to paste into any LLM. Testers' names and
 * emails are left out. The spec's CSV export is a different thing and stays as it is.
 */
import { basename, dirname } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { readPromptText, runGit } from '../era';
import { loadSessionData, type SessionTurnData } from './session-data';

export type BundleFormat = 'markdown' | 'json';

export interface BundleOptions {
  format: BundleFormat;
  /** The prompt file (config.promptPath): its text at the session's version is looked up in git. */
  promptPath: string;
  /** The judge's mode now: explains missing scores. */
  judgeMode: 'claude' | 'offline';
}

export interface Bundle {
  fileName: string;
  contentType: string;
  text: string;
}

/** The prompt as it was for VERSION: git's copy at that commit, else the current file (said so). */
export async function promptTextAt(promptPath: string, version: string | null): Promise<{ text: string; version: string; note: string | null }> {
  const current = await readPromptText(promptPath);
  const commit = version && /^[0-9a-f]{7,40}$/.test(version) ? version : null;
  if (commit) {
    const shown = await runGit(['show', `${commit}:./${basename(promptPath)}`], { cwd: dirname(promptPath) });
    if (shown?.code === 0) return { text: shown.stdout, version: commit, note: null };
  }
  if (version?.startsWith('sha256:') && current.sha256.startsWith(version.slice(7))) return { text: current.text, version, note: null };
  return { text: current.text, version: version ?? '(unknown)', note: `the session's prompt version (${version ?? 'unknown'}) could not be read; this is the current prompt` };
}

function judgeStatus(t: SessionTurnData, mode: 'claude' | 'offline'): string {
  if (t.turn.professionalism_score !== null) return 'scored';
  if (t.judgement?.status === 'error') return `judge failed: ${t.judgement.error ?? 'unknown error'}`;
  return mode === 'offline' ? 'judge offline' : 'not judged yet';
}

function turnJson(t: SessionTurnData, mode: 'claude' | 'offline') {
  const m = t.turn;
  const scored = m.professionalism_score !== null;
  return {
    turn_number: m.turn_number,
    timestamp: m.timestamp.toISOString(),
    user_message: m.user_message,
    era_response: m.era_response,
    sources: (m.search_results?.results ?? []).map((r, i) => ({ n: i + 1, chunk_id: r.chunk_id, document_title: r.document_title, similarity: r.similarity, chunk_text: r.chunk_text })),
    metrics: { has_policy_citation: m.has_policy_citation, appropriate_action_suggested: m.appropriate_action_suggested, structure_complete: m.structure_complete },
    judge_status: judgeStatus(t, mode),
    judge: scored
      ? {
          professionalism: m.professionalism_score, empathy: m.empathy_score, clarity: m.clarity_score,
          rubric_version: t.judgement?.rubric_version ?? null, judge_model: t.judgement?.judge_model ?? null, rationale: t.judgement?.rationale ?? {},
        }
      : null,
    notes: t.notes.map((n) => ({ label: n.label, category: n.category, text: n.text, kind: n.positive ? 'positive' : 'improvement', source: n.source, timestamp: n.timestamp.toISOString() })),
  };
}

const yesNo = (v: boolean | null): string => (v === null ? '—' : v ? 'yes' : 'no');

function markdown(json: ReturnType<typeof bundleJson> extends Promise<infer T> ? T : never): string {
  const fence = '~~~~';
  const lines = [
    `# Tuning session ${json.session.id.slice(0, 8)} — LLM-ready bundle`,
    '',
    'Below: ERA\'s system prompt, then every turn of a prompt-tuning session with the policy passages ERA was given, automatic metrics, LLM-judge scores (1-5) and the testers\' notes. Use it to propose improvements to the prompt.',
    '',
    `- Prompt version: ${json.prompt.version}${json.prompt.note ? ` (${json.prompt.note})` : ''}`,
    `- Session: ${json.session.started} → ${json.session.ended ?? 'open'}, ${json.turns.length} turn(s), ${json.turns.reduce((n, t) => n + t.notes.length, 0)} note(s)`,
    `- Judge: ${json.judge}`,
    '',
    '## The prompt',
    '',
    `${fence}markdown`,
    json.prompt.text.trimEnd(),
    fence,
  ];
  for (const t of json.turns) {
    lines.push('', `## Turn ${t.turn_number}`, '', `**Manager:** ${t.user_message}`, '', '**ERA:**', '', fence, t.era_response.trimEnd(), fence, '');
    if (t.sources.length > 0) {
      lines.push('**Sources given to ERA:**');
      for (const s of t.sources) lines.push(`- [${s.n}] ${s.document_title} (similarity ${s.similarity.toFixed(2)}): ${s.chunk_text.replace(/\s+/g, ' ').slice(0, 400)}`);
    } else lines.push('**Sources given to ERA:** none');
    lines.push('', `**Metrics:** policy citation ${yesNo(t.metrics.has_policy_citation)} · action suggested ${yesNo(t.metrics.appropriate_action_suggested)} · structure complete ${yesNo(t.metrics.structure_complete)}`);
    lines.push(t.judge ? `**Judge (${t.judge.rubric_version ?? '?'}):** professionalism ${t.judge.professionalism ?? '—'} · empathy ${t.judge.empathy ?? '—'} · clarity ${t.judge.clarity ?? '—'}` : `**Judge:** ${t.judge_status}`);
    lines.push('', t.notes.length === 0 ? '**Notes:** none' : '**Notes:**');
    for (const n of t.notes) lines.push(`- ${n.label} · ${n.kind === 'positive' ? 'positive' : (n.category ?? 'uncategorised')}: ${n.text}`);
  }
  return `${lines.join('\n')}\n`;
}

async function bundleJson(db: Kysely<Database>, sessionId: string, options: BundleOptions) {
  const data = await loadSessionData(db, sessionId);
  const prompt = await promptTextAt(options.promptPath, data.session.master_prompt_version);
  return {
    bundle_version: 1,
    generated_at: new Date().toISOString(),
    session: { id: data.session.id, started: data.session.session_start.toISOString(), ended: data.session.session_end?.toISOString() ?? null, prompt_version: data.session.master_prompt_version, branch: data.session.branch_name },
    prompt: { path: basename(options.promptPath), version: prompt.version, note: prompt.note, text: prompt.text },
    judge: options.judgeMode === 'offline' ? 'judge offline (no ANTHROPIC_API_KEY): scores are empty' : 'Claude, with the rubric versions named per turn',
    turns: data.turns.map((t) => turnJson(t, options.judgeMode)),
  };
}

/** Builds the bundle of a session. @throws InsightsNotFoundError */
export async function buildBundle(db: Kysely<Database>, sessionId: string, options: BundleOptions): Promise<Bundle> {
  const json = await bundleJson(db, sessionId, options);
  const stem = `session-${sessionId.slice(0, 8)}-bundle`;
  return options.format === 'json'
    ? { fileName: `${stem}.json`, contentType: 'application/json; charset=utf-8', text: `${JSON.stringify(json, null, 2)}\n` }
    : { fileName: `${stem}.md`, contentType: 'text/markdown; charset=utf-8', text: markdown(json) };
}
