/**
 * Teams' streaming protocol for a 1:1 chat: an informative update, cumulative text updates (typing
 * activities carrying a streaminfo entity, no more often than Teams allows), then the final message
 * carrying the same stream id. When the tester presses Stop, Teams answers the next update with 403:
 * the stream is then cancelled, and nothing more is sent on it.
 */
import type { Activity, TurnContext } from 'botbuilder';
import { isLocalServiceUrl } from './local-client';
import { conversationTypeOf } from './wire';

export type StreamOutcome = 'open' | 'final' | 'cancelled';

interface StreamInfo {
  type: 'streaminfo';
  streamType: 'informative' | 'streaming' | 'final';
  streamSequence?: number;
  streamId?: string;
}

/**
 * Whether the answer streams. Teams supports it in personal (1:1) chats only. The STREAMING setting
 * decides the rest: 'auto' leaves a local client (the Agents Playground) out, which gets one complete
 * message (see local-client.ts); 'always' streams on any service URL (tests on a loopback connector);
 * 'never' sends one message everywhere.
 */
export function canStream(context: TurnContext, mode: 'auto' | 'always' | 'never'): boolean {
  const a = context.activity;
  if (mode === 'never' || a.channelId !== 'msteams' || conversationTypeOf(a) !== 'personal') return false;
  return mode === 'always' || !isLocalServiceUrl(a.serviceUrl);
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  const s = e?.statusCode ?? e?.status ?? e?.response?.status;
  return typeof s === 'number' ? s : undefined;
}

export class TeamsStream {
  private streamId: string | undefined;
  private sequence = 0;
  private lastSentAt = 0;
  private lastSentText = '';
  private pending: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private state: StreamOutcome = 'open';
  /** Errors of intermediate updates (the stream went on without them). */
  readonly updateErrors: unknown[] = [];
  /** Called once when the tester stops the stream. */
  onCancel: (() => void) | null = null;

  constructor(
    private readonly context: TurnContext,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get outcome(): StreamOutcome {
    return this.state;
  }

  /** Read through a call: the state changes while a send is awaited. */
  private isOpen(): boolean {
    return this.state === 'open';
  }

  /** The informative update ("Searching the policies…"). Starts the stream. */
  async informative(text: string): Promise<void> {
    await this.send({ type: 'typing', text: text.slice(0, 1000) }, 'informative');
  }

  /** Queues the cumulative text so far; sent at most once per interval, the latest text winning. */
  update(textSoFar: string): void {
    if (this.state !== 'open' || textSoFar === this.lastSentText) return;
    this.pending = textSoFar;
    if (this.timer) return;
    const wait = Math.max(0, this.lastSentAt + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const text = this.pending;
      this.pending = null;
      if (text === null || this.state !== 'open') return;
      // A failed update is not fatal (the final message carries the whole answer); it is kept for the
      // caller to log, and the chain never holds a rejected promise nobody awaits.
      this.chain = this.chain
        .then(async () => {
          await this.send({ type: 'typing', text }, 'streaming');
        })
        .catch((err: unknown) => {
          this.updateErrors.push(err);
        });
    }, wait);
  }

  /** Sends the final message on the stream (waiting for updates in flight). Returns its id, or null if cancelled. */
  async final(activity: Partial<Activity>): Promise<string | null> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    await this.chain;
    if (this.state !== 'open') return null;
    const id = await this.send({ ...activity, type: 'message' }, 'final');
    // A 403 on the final message cancels the stream (send sets the state); otherwise it is final.
    if (this.isOpen()) this.state = 'final';
    return id ?? null;
  }


  private async send(activity: Partial<Activity>, streamType: StreamInfo['streamType']): Promise<string | undefined> {
    if (this.state !== 'open') return undefined;
    this.sequence += 1;
    const info: StreamInfo = { type: 'streaminfo', streamType };
    if (streamType !== 'final') info.streamSequence = this.sequence;
    if (this.streamId) info.streamId = this.streamId;
    const channelData = {
      ...((activity.channelData as object | undefined) ?? {}),
      streamType,
      ...(streamType !== 'final' ? { streamSequence: this.sequence } : {}),
      ...(this.streamId ? { streamId: this.streamId } : {}),
    };
    try {
      const response = await this.context.sendActivity({
        ...activity,
        entities: [...(activity.entities ?? []), info],
        channelData,
      });
      this.lastSentAt = this.now();
      if (typeof activity.text === 'string') this.lastSentText = activity.text;
      if (!this.streamId && response?.id) this.streamId = response.id;
      return response?.id;
    } catch (err) {
      if (statusOf(err) === 403) {
        // The tester pressed Stop (ContentStreamNotAllowed): end quietly, not as an error.
        this.state = 'cancelled';
        this.onCancel?.();
        return undefined;
      }
      throw err;
    }
  }
}
