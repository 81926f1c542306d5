/**
 * The turn service's ReplySink in Teams: in a 1:1 chat the answer streams (an informative update, the
 * text so far, then the final message with the card); elsewhere a typing indicator, then one message.
 * A reply is rendered here from the stored turn: the answer text with its AI label and citations, and
 * the tuning card.
 */
import { ActivityTypes, TurnContext } from 'botbuilder';
import type { JsonObject } from '../../db';
import type { ReplySink, TurnReply } from '../tuning';
import type { BotDeps } from './deps';
import { replyActivityFor, replyCardFor } from './reply-card';
import { canStream, TeamsStream } from './streaming';

/** The turn service's reply channel in Teams (see the file comment). */
export class TeamsReplySink implements ReplySink {
  private readonly stream: TeamsStream | null;
  onCancel: (() => void) | null = null;
  /** The conversation reference, for the judge's later update of the reply card. */
  readonly address: JsonObject;

  constructor(
    private readonly turn: TurnContext,
    private readonly deps: BotDeps,
  ) {
    this.stream = canStream(turn) ? new TeamsStream(turn, deps.config.streamUpdateIntervalMs) : null;
    this.address = JSON.parse(JSON.stringify(TurnContext.getConversationReference(turn.activity))) as JsonObject;
    if (this.stream) {
      this.stream.onCancel = () => {
        this.onCancel?.();
      };
    }
  }

  get streaming(): boolean {
    return this.stream !== null;
  }

  /** 'open' while the stream (if any) takes more; a non-streamed reply is always open until sent. */
  get outcome(): 'open' | 'final' | 'cancelled' {
    return this.stream ? this.stream.outcome : 'open';
  }

  async informative(text: string): Promise<void> {
    if (this.stream) await this.stream.informative(text);
    else await this.turn.sendActivity({ type: ActivityTypes.Typing });
  }

  update(textSoFar: string): void {
    this.stream?.update(textSoFar);
  }

  async final(reply: TurnReply): Promise<string | null> {
    const activity = reply.kind === 'text' ? { text: reply.text } : this.render(reply);
    if (this.stream && this.stream.outcome === 'open') {
      const id = await this.stream.final(activity);
      if (id) return id;
    }
    // Not streaming, or the tester stopped the stream: Teams takes no more on it, so a new message
    // carries the reply.
    const sent = await this.turn.sendActivity(activity);
    return sent?.id ?? null;
  }

  private render(reply: Extract<TurnReply, { kind: 'answer' }>) {
    const status = reply.stopped ? { status: { text: 'You stopped this answer; what arrived is stored and can take notes.', kind: 'attention' as const } } : {};
    const card = replyCardFor(reply.turn, [], this.deps.config.maxNoteChars, status, { topic: reply.topic, topicChoices: this.deps.intent?.topics ?? [], judgeMode: this.deps.insights?.judgeMode });
    return replyActivityFor(reply.turn, card);
  }
}
