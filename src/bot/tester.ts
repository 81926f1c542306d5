/** Who is talking, and whether they may: identity from the activity and the roster, and the allowlist. */
import { type TurnContext, TeamsInfo } from 'botbuilder';
import type { Tester } from '../tuning';
import type { Logger } from '../logger';
import type { MemberDirectory, MemberInfo } from './deps';
import { senderOf, wireString } from './wire';

const CACHE_MS = 60 * 60 * 1000;

/**
 * Roster lookups through TeamsInfo.getMember, cached per user for an hour. A failure is logged and
 * cached briefly (so a broken roster call is not retried on every message), never fatal.
 */
export class TeamsMemberDirectory implements MemberDirectory {
  private readonly cache = new Map<string, { info: MemberInfo | null; until: number }>();

  constructor(private readonly logger: Logger) {}

  async lookup(context: TurnContext): Promise<MemberInfo | null> {
    const from = senderOf(context.activity);
    if (context.activity.channelId !== 'msteams' || !from.id) return null;
    const key = from.aadObjectId ?? from.id;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.info;
    try {
      const member = await TeamsInfo.getMember(context, from.id);
      const info = { name: wireString(member.name), email: wireString(member.email) ?? wireString(member.userPrincipalName) };
      this.cache.set(key, { info, until: Date.now() + CACHE_MS });
      return info;
    } catch (err) {
      this.logger.warn({ err, testerId: key, activityId: context.activity.id }, 'TeamsInfo.getMember failed; continuing without email');
      this.cache.set(key, { info: null, until: Date.now() + 5 * 60 * 1000 });
      return null;
    }
  }
}

/** The tester behind an activity: the AAD object id where Teams gives one, else the channel's user id. */
export async function identifyTester(context: TurnContext, members: MemberDirectory): Promise<Tester | null> {
  const from = senderOf(context.activity);
  const id = from.aadObjectId ?? from.id;
  if (!id) return null;
  const info = await members.lookup(context);
  return { id, name: info?.name ?? from.name, email: info?.email ?? null };
}

/** Whether the tester is on the allowlist (an empty list lets everyone in). */
export function isAllowed(tester: Tester, allowlist: readonly string[]): boolean {
  if (allowlist.length === 0) return true;
  const ids = [tester.id, tester.email].filter((v): v is string => !!v).map((v) => v.toLowerCase());
  return ids.some((v) => allowlist.includes(v));
}

export const NOT_ALLOWED_MESSAGE =
  "Thanks for stopping by! This bot is open to invited prompt testers only, and you're not on the list yet. Ask the prompt owner to add you; nothing you send here is stored.";
