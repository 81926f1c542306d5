/**
 * POST /api/messages: how an activity from the Bot Connector is taken in (issue 9).
 *
 * 1. Authenticated (with MicrosoftAppId set): a missing, malformed, forged or expired token gets 401;
 *    the token keys' metadata unreachable gets 503 (the connector retries). No body names a URL or
 *    an internal error; the log has the details.
 * 2. Claimed (ActivityClaims): a redelivered activity (same channel, conversation and id) is not
 *    handled again. A message is acknowledged and dropped; an invoke gets the first delivery's response.
 * 3. Answered in time: a message (or any activity that needs no response body) is acknowledged with
 *    200 at once and its turn runs on the bounded WorkQueue, sending its replies proactively through
 *    the connector (streamed in a 1:1 chat), replying to the original activity id. An invoke runs
 *    before the response, since its body is the answer (a card refresh, the feedback loop's 200).
 */
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import { CloudAdapter } from 'botbuilder';
import { type AuthenticateRequestResult, AuthenticationError, type BotFrameworkAuthentication } from 'botframework-connector';
import type restify from 'restify';
import { isDatabaseUnavailable, type JsonObject } from '../../db';
import { type ActivityClaims, type ActivityKey, WorkQueue, type WorkQueueOptions } from '../delivery';
import type { Logger } from '../logger';
import { messageResponse } from './invoke-response';

/** CloudAdapter with authentication and the turn as two steps, so the request can be answered between them. */
export class WireAdapter extends CloudAdapter {
  constructor(private readonly auth: BotFrameworkAuthentication) {
    super(auth);
  }

  /** Validates the request's token (throws when it is not valid; see authFailure). */
  authenticate(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.auth.authenticateRequest(activity, authHeader);
  }

  /** Runs the bot's turn for an authenticated activity; returns the invoke response, if any. */
  runAuthenticated(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

/** What a failed authentication is answered with: 503 when the keys could not be fetched, else 401. */
export function authFailure(err: unknown): { status: 401 | 503; body: { error: string } } {
  const e = err as { name?: unknown; statusCode?: unknown } | null;
  // node-fetch's FetchError: the OpenID metadata or its key set could not be reached or read;
  // an AuthenticationError other than 400/401 is botframework-connector's "Failed to load …".
  const unreachable = e?.name === 'FetchError' || (err instanceof AuthenticationError && e?.statusCode !== 401 && e?.statusCode !== 400);
  return unreachable
    ? { status: 503, body: { error: 'The bot cannot verify requests right now; try again shortly.' } }
    : { status: 401, body: { error: 'Unauthorized.' } };
}

export interface DeliveryOptions {
  queue: WorkQueueOptions;
  /** How often a claim's lease is renewed while its activity is handled. */
  renewEveryMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { queue: { concurrency: 32, limit: 500 }, renewEveryMs: 20_000 };

/** The busy answer to an Action.Execute redelivered while its first delivery is still being handled. */
const STILL_WORKING = 'Still working on that click; the card updates when it is done.';

function keyOf(activity: Partial<Activity>): ActivityKey | null {
  const channelId = activity.channelId;
  const conversationId = activity.conversation?.id;
  const activityId = activity.id;
  if (!channelId || !conversationId || !activityId) return null;
  return { channelId, conversationId, activityId };
}

/** The timestamps as Dates, their wire text kept in raw* (what CloudAdapter.process does with a body). */
function withDates(activity: Activity): Activity {
  const a = activity as Activity & Record<'timestamp' | 'expiration' | 'localTimestamp' | 'rawTimestamp' | 'rawExpiration' | 'rawLocalTimestamp', unknown>;
  if (typeof a.timestamp === 'string') {
    a.rawTimestamp = a.timestamp;
    a.timestamp = new Date(a.timestamp);
  }
  if (typeof a.expiration === 'string') {
    a.rawExpiration = a.expiration;
    a.expiration = new Date(a.expiration);
  }
  if (typeof a.localTimestamp === 'string') {
    a.rawLocalTimestamp = a.localTimestamp;
    a.localTimestamp = new Date(a.localTimestamp);
  }
  return a;
}

/** Whether the activity's HTTP response carries its answer, so the turn runs before it. */
function answersInResponse(activity: Partial<Activity>): boolean {
  return activity.type === 'invoke' || activity.deliveryMode === 'expectReplies';
}

/** Takes activities in (see the file comment). */
export class ActivityDelivery {
  readonly queue: WorkQueue;
  /** Claims made while the database was unreachable: this instance still handles each once. */
  private readonly fallback = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly adapter: WireAdapter,
    private readonly logic: (context: TurnContext) => Promise<void>,
    private readonly claims: ActivityClaims,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions = DEFAULT_DELIVERY_OPTIONS,
  ) {
    this.queue = new WorkQueue(options.queue, logger);
  }

  /** The restify handler of POST /api/messages. */
  async handle(req: restify.Request, res: restify.Response): Promise<void> {
    const body: unknown = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
      res.send(400, { error: 'The body is not an activity.' });
      return;
    }
    const activity = withDates(body as Activity);
    if (this.stopping) {
      res.header('Retry-After', '5');
      res.send(503, { error: 'The bot is restarting; try again shortly.' });
      return;
    }
    const header = req.header('authorization');
    let auth: AuthenticateRequestResult;
    try {
      auth = await this.adapter.authenticate(activity, header);
    } catch (err) {
      const failure = authFailure(err);
      this.logger.warn({ err, status: failure.status, activityId: activity.id }, 'request not authenticated');
      if (failure.status === 503) res.header('Retry-After', '10');
      res.send(failure.status, failure.body);
      return;
    }

    const key = keyOf(activity);
    const claim = key ? await this.claim(key, activity) : { kind: 'claimed' as const, token: null };
    if (claim.kind === 'done' || claim.kind === 'busy') {
      this.logger.info({ activityId: activity.id, type: activity.type, name: activity.name, claim: claim.kind }, 'redelivered activity: not handled again');
      this.answerRedelivery(res, activity, claim.kind === 'done' ? claim.outcome : null);
      return;
    }
    const token = claim.token;
    const held = key && token ? { key, token } : null;

    if (answersInResponse(activity)) {
      const response = await this.runHeld(held, activity, auth);
      res.send(response?.status ?? 200, response?.body ?? undefined);
      return;
    }
    const queued = this.queue.add(async () => {
      await this.runHeld(held, activity, auth);
    });
    if (!queued) {
      if (held) await this.claims.release(held.key, held.token).catch((err: unknown) => { this.logger.warn({ err }, 'could not release a claim'); });
      this.logger.warn({ activityId: activity.id, queued: this.queue.size }, 'turn queue full: asking the connector to redeliver');
      res.header('Retry-After', '5');
      res.send(503, { error: 'The bot is busy; try again shortly.' });
      return;
    }
    res.send(200);
  }

  /** Refuses new activities and waits (up to `timeoutMs`) for the queued turns to finish. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    return this.queue.drain(timeoutMs);
  }

  private async claim(key: ActivityKey, activity: Activity): Promise<{ kind: 'claimed'; token: string | null } | { kind: 'done'; outcome: JsonObject | null } | { kind: 'busy' }> {
    try {
      const result = await this.claims.claim(key, activity.type);
      if (result.kind === 'claimed' && result.takeover) this.logger.warn({ activityId: activity.id }, 'taking over an activity whose first handler stopped renewing its claim');
      return result;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      // The database is down: the turn still runs, so the tester hears about it once; this instance
      // remembers the activity for an hour so its redeliveries do not repeat that.
      this.logger.warn({ err, activityId: activity.id }, 'could not claim the activity (database unreachable); remembering it in this process');
      const k = `${key.channelId}\n${key.conversationId}\n${key.activityId}`;
      const now = Date.now();
      for (const [old, at] of this.fallback) if (at < now - 3_600_000) this.fallback.delete(old);
      if (this.fallback.has(k)) return { kind: 'done', outcome: null };
      this.fallback.set(k, now);
      return { kind: 'claimed', token: null };
    }
  }

  /** A redelivery: an invoke gets the first response (or "still working"); anything else a bare 200. */
  private answerRedelivery(res: restify.Response, activity: Activity, outcome: JsonObject | null): void {
    const status = typeof outcome?.status === 'number' ? outcome.status : null;
    if (activity.type === 'invoke' && status !== null) {
      res.send(status, outcome?.body ?? undefined);
    } else if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
      const busy = messageResponse(STILL_WORKING);
      res.send(busy.status, busy.body);
    } else {
      res.send(200);
    }
  }

  /** Runs the turn under a claim (renewed while it runs), then marks it done with its outcome. */
  private async runHeld(held: { key: ActivityKey; token: string } | null, activity: Activity, auth: AuthenticateRequestResult): Promise<InvokeResponse | undefined> {
    const renewal = held
      ? setInterval(() => {
          this.claims.renew(held.key, held.token).then(
            (kept) => { if (!kept) this.logger.warn({ activityId: activity.id }, 'lost the claim on an activity while handling it'); },
            (err: unknown) => { this.logger.warn({ err, activityId: activity.id }, 'could not renew a claim'); },
          );
        }, this.options.renewEveryMs)
      : null;
    renewal?.unref();
    let response: InvokeResponse | undefined;
    try {
      response = await this.adapter.runAuthenticated(auth, activity, this.logic);
    } catch (err) {
      // The bot's own handlers tell the tester about failures; this is a failure around them (the
      // connector client could not be made). The claim is kept: a redelivery would fail the same way.
      this.logger.error({ err, activityId: activity.id, type: activity.type }, 'the turn could not run');
      response = activity.type === 'invoke' ? { status: 500, body: { error: 'The bot could not handle this; it has been logged.' } } : undefined;
    } finally {
      if (renewal) clearInterval(renewal);
    }
    if (held) {
      const outcome: JsonObject | null = activity.type === 'invoke' && response ? { status: response.status, body: (response.body ?? null) as JsonObject | null } : null;
      await this.claims.complete(held.key, held.token, outcome).catch((err: unknown) => {
        this.logger.warn({ err, activityId: activity.id }, 'could not mark the activity handled; a redelivery may be handled again');
      });
    }
    return response;
  }
}
