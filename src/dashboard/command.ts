/**
 * The `/dashboard` chat command as a plain function: it takes the tester and returns the text to send,
 * so whichever command table the bot has can register it.
 */
import type { DashboardAuth } from './auth';

export interface DashboardCommandReply {
  text: string;
  /** The sign-in link (absent in local mode, where the address needs none). */
  url: string | null;
}

const time = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * A short-lived sign-in link to the dashboard for this tester. In Teams the Dashboard tab signs in by
 * itself; the link is for a browser outside Teams.
 */
export async function dashboardCommand(
  auth: DashboardAuth,
  publicBaseUrl: string,
  tester: { id: string; name: string | null; email: string | null },
): Promise<DashboardCommandReply> {
  if (auth.localMode) {
    const url = `${publicBaseUrl}/dashboard/`;
    return { url: null, text: `The dashboard is at [${url}](${url}) — in local mode it needs no sign-in on this machine.` };
  }
  const link = await auth.signInLink({ testerId: tester.id, name: tester.name, email: tester.email });
  return {
    url: link.url,
    text: `[Open the dashboard](${link.url}) in your browser — the link signs you in and works until ${time(link.expiresAt)}; don't share it. In Teams, the **Dashboard** tab of this app opens it without a link.`,
  };
}
