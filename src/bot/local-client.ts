/**
 * Whether an activity came through a local client (the Microsoft 365 Agents Playground) rather than
 * Teams' connector. Such a client has no OneDrive for file-consent uploads, and the Playground shows
 * a streamed final message that carries a card twice (card, text, card), so the bot sends it one
 * complete message instead.
 */
export function isLocalServiceUrl(serviceUrl: string | undefined): boolean {
  if (!serviceUrl) return false;
  try {
    const host = new URL(serviceUrl).hostname;
    return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
  } catch {
    return false;
  }
}
