/**
 * The generation cards' actions: Start / Start as a batch / Cancel on the confirmation card, Pause /
 * Resume / Cancel on the progress card. The card's data is all a start needs (a double click or a stale
 * card is handled by the job service), so a confirmation works even when its dialog is gone; a start or
 * a cancel also ends the `/generate` dialog waiting for it.
 */
import { TurnContext } from 'botbuilder';
import { jobCancelledCard } from '../../cards';
import { cancelJobAndBatch, JobError, jobExists, jobProgress, pauseJob, resumeJob } from '../../generation';
import { UUID_PATTERN } from '../../tuning';
import { JobCommandError, jobsSetUp, launchJob, NOTHING_LEFT } from '../handlers/job-commands';
import { jobTitle, progressCard, refToRecord } from '../job-cards';
import type { VerbContext, VerbResult } from '../verb-table';

const FORGED = "That card's data isn't one I made: send /generate again for a fresh card.";

/** Start / Start as a batch: creates the job (or finds the one already running) and runs it here. */
export async function startJobVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, data, turn } = c;
  jobsSetUp(deps);
  const type = data.type === 'single' || data.type === 'process_all' ? data.type : 'batch';
  const ids = typeof data.ids === 'string' && data.ids ? data.ids.split(',') : undefined;
  if ((type !== 'process_all' && !ids) || ids?.some((id) => !UUID_PATTERN.test(id))) throw new JobCommandError(FORGED);
  const mode = data.mode === 'batch' ? 'batch' : 'direct';
  const launched = await launchJob(c, { type, ids: ids ?? [], mode }, () => Promise.resolve(turn.activity.replyToId ?? null));
  // The confirmation is answered: a /generate dialog waiting for it is done.
  await c.dialogs.endActive(turn);
  if (!launched) throw new JobCommandError(NOTHING_LEFT);
  return { kind: 'card', card: progressCard(await jobProgress(deps.db, launched.jobId), launched.title, launched.note) };
}

/** The job module's refusals (a finished job resumed) are the tester's to read. */
async function asTesterError(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof JobError) throw new JobCommandError(`That didn't work: ${err.message}.`);
    throw err;
  }
}

/** Pause / Resume / Cancel on a progress card. */
export function jobControlVerb(action: 'pause' | 'resume' | 'cancel'): (c: VerbContext) => Promise<VerbResult> {
  return async ({ deps, tester, data, turn }) => {
    const jobs = jobsSetUp(deps);
    const jobId = typeof data.jobId === 'string' ? data.jobId : '';
    if (!(await jobExists(deps.db, jobId))) throw new JobCommandError('That job no longer exists.');
    const title = jobTitle(jobId);
    await asTesterError(async () => {
      if (action === 'pause') await pauseJob(deps.db, jobId, `paused by ${tester.name ?? tester.id}`);
      else if (action === 'cancel') await cancelJobAndBatch(deps.db, jobs.client, jobId, deps.logger);
      else {
        await resumeJob(deps.db, jobId);
        jobs.runner.start(jobId, { ref: refToRecord(TurnContext.getConversationReference(turn.activity)), activityId: turn.activity.replyToId ?? null, title });
      }
    });
    return { kind: 'card', card: progressCard(await jobProgress(deps.db, jobId), title) };
  };
}

/** Cancel on the confirmation card: nothing is started, and the waiting dialog ends. */
export async function cancelGenerateVerb(c: VerbContext): Promise<VerbResult> {
  await c.dialogs.endActive(c.turn);
  return { kind: 'card', card: jobCancelledCard('Nothing was generated. Send /generate when you want to start again.') };
}
