/** `/dashboard`: a sign-in link to the dashboard tab (src/dashboard) for a browser outside Teams. */
import { type CommandContext, sendText } from '../command-context';
import { conversationTypeOf } from '../wire';

/**
 * Sends this tester their sign-in link. The link signs in whoever opens it, so it is only ever sent in a
 * one-to-one chat: in a group chat the tester is told to ask in their own chat with the bot.
 */
export async function dashboardCommand({ turn, deps, tester }: CommandContext): Promise<void> {
  if (!deps.dashboard) {
    await sendText(turn, 'The dashboard is not set up on this bot.');
    return;
  }
  const type = conversationTypeOf(turn.activity);
  if (type !== null && type !== 'personal') {
    await sendText(turn, 'The dashboard link signs you in, so I only send it in our one-to-one chat: send `/dashboard` to me there.');
    return;
  }
  await sendText(turn, await deps.dashboard({ id: tester.id, name: tester.name, email: tester.email }));
}
