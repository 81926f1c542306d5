/** What a command handler or a card verb gets: the turn, the bot's parts, the tester, and helpers to answer. */
import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import type { CardJson, CommandHelp } from '../cards';
import type { Tester } from '../tuning';
import type { BotDeps } from './deps';
import { isAllowed } from './tester';

export interface CommandContext {
  turn: TurnContext;
  deps: BotDeps;
  tester: Tester;
  /** The command's argument as the table's rule accepted it; null when none was given. */
  arg: string | null;
  /** Every command's syntax and description, for /help and the welcome card (from the command table). */
  help: CommandHelp[];
}

/** A command that needs no dialog: it parses its argument, calls a service and answers. */
export type CommandHandler = (c: CommandContext) => Promise<void>;

/** Sends an Adaptive Card; returns the new activity's id. */
export async function sendCard(turn: TurnContext, card: CardJson): Promise<string | undefined> {
  const sent = await turn.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
  return sent?.id;
}

/** Sends a plain message. */
export async function sendText(turn: TurnContext, text: string): Promise<void> {
  await turn.sendActivity(text);
}

/** Whether the tester is an admin (sees every tester's data); an empty admin list makes nobody one. */
export function isAdmin(c: Pick<CommandContext, 'deps' | 'tester'>): boolean {
  return c.deps.config.adminAllowlist.length > 0 && isAllowed(c.tester, c.deps.config.adminAllowlist);
}

/** "OFFLINE MODE (no ANTHROPIC_API_KEY)" or "Claude <model>". */
export function modeLabel(deps: BotDeps): string {
  return deps.era.mode === 'offline' ? 'OFFLINE MODE (no ANTHROPIC_API_KEY)' : `Claude ${deps.era.model}`;
}
