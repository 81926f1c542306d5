/** Who is asking the dashboard, and what they may see. */

/** How the caller proved who they are. */
export type SignInMethod = 'teams-sso' | 'link' | 'local';

/** The signed-in caller: the tester id the bot uses (the AAD object id in Teams). */
export interface Principal {
  testerId: string;
  name: string | null;
  email: string | null;
  /** On ADMIN_ALLOWLIST (or the local user): sees every tester's sessions and the training data. */
  admin: boolean;
  via: SignInMethod;
}

/** The id the local-mode user gets (no sign-in, loopback only). */
export const LOCAL_TESTER_ID = 'local';

function listed(list: readonly string[], ...values: Array<string | null>): boolean {
  return values.some((v) => v !== null && list.includes(v.toLowerCase()));
}

/** Whether an identity is an admin: its id or email is on the (lower-cased) admin allowlist. */
export function isAdmin(adminAllowlist: readonly string[], testerId: string, email: string | null): boolean {
  return adminAllowlist.length > 0 && listed(adminAllowlist, testerId, email);
}

/** The bot's rule: an empty tester allowlist lets everyone in; admins always get in. */
export function mayUseBot(testerAllowlist: readonly string[], adminAllowlist: readonly string[], testerId: string, email: string | null): boolean {
  return testerAllowlist.length === 0 || listed(testerAllowlist, testerId, email) || isAdmin(adminAllowlist, testerId, email);
}
