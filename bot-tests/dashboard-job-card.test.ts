/**
 * A job started from a Teams card, paused there, and resumed on the dashboard keeps updating its card
 * and still sends its summary to the chat: a start without a card takes over the card the job has.
 */
import { createJob } from '../src/generation';
import { patchControl } from '../src/generation/jobs/control';
import { createHarness, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { closeServer, listenOnLoopback, seedTrainingData } from './helpers/dashboard-fixtures';
import { type FakeConnector, startFakeConnector } from './helpers/fake-connector';
import { generationReply } from './helpers/generated-answer';
import { request } from './helpers/http-client';

// The harness with the plan and its seeds takes over a minute on a loaded machine, as the other heavy suites.
jest.setTimeout(240_000);

describe.each(testDbKinds)('a card job resumed on the dashboard, on %s', (kind) => {
  let h: Harness;
  let connector: FakeConnector;
  let base: string;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
    h.fake?.reply((body) => generationReply(body) ?? 'not a generation request');
    connector = await startFakeConnector();
    await seedTrainingData(h.t.db);
    base = await listenOnLoopback(h.app.server);
  });
  afterAll(async () => {
    await h.app.jobRunner.idle();
    await closeServer(h.app.server);
    await connector.close();
    await h.close();
  });

  it('updates the card it was started from and tells that chat when it ends', async () => {
    const planned = await h.t.db.selectFrom('training_conversations').select('id').where('conversation_number', '=', 30).executeTakeFirstOrThrow();
    const job = await createJob(h.t.db, { type: 'single', conversationIds: [planned.id], createdBy: '00000000-0000-4000-8000-000000000005', options: { mode: 'direct' } });
    // As the card's Start leaves it, then paused on the card.
    const ref = { serviceUrl: connector.serviceUrl, channelId: 'msteams', conversation: { id: 'a:card-chat', conversationType: 'personal', isGroup: false, name: '' }, bot: { id: '28:bot', name: 'Tuning Bot' } };
    await h.t.db.updateTable('generation_jobs').set({ results_summary: patchControl({ notify: { ref, activity_id: 'card-7', title: 'Generation job card' }, paused_at: new Date().toISOString() }) }).where('id', '=', job.id).execute();
    const resumed = await request(`${base}/api/dashboard/jobs/${job.id}/resume`, { method: 'POST', body: {} });
    expect(resumed.status).toBe(200);
    await h.app.jobRunner.idle();
    const texts = connector.activities.map((a) => (typeof a.text === 'string' ? a.text : ''));
    expect(texts.find((t) => /^Generation job [0-9a-f]{8} finished: 1 generated/.test(t))).toBeDefined();
    expect(connector.activities.some((a) => a.id === 'card-7' && Array.isArray(a.attachments))).toBe(true);
  });
});
