/**
 * What the bot sends reaches the Bot Connector as the JSON the bot built.
 *
 * botframework-connector's generated ConnectorClient serializes an outgoing activity through its
 * `Mappers`: an entity is resolved to the `Entity` mapper, which keeps only `type`, `text` and
 * `mentioned`, so the AI label (`@type`, `@context`, `additionalType`), the citations and the
 * `streaminfo` fields of streaming never reach Teams. The Microsoft 365 Agents SDK
 * (`agents-hosting`'s ConnectorClient) and the Teams SDK v2 post the activity as plain JSON instead.
 * This does the same on botbuilder, through a supported extension point and without touching any
 * library object: a BotFrameworkAuthentication wrapper whose ConnectorFactory hands out connector
 * clients whose `conversations.sendToConversation / replyToActivity / updateActivity` post
 * `JSON.stringify(activity)` through the client's own authenticated pipeline (its token signing,
 * retries with Retry-After on 429/503, user agent). Everything else (members, token client, skills,
 * request authentication) is the wrapped authentication's. Moving to the Agents SDK later makes
 * this file unnecessary.
 */
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { Activity, ResourceResponse } from 'botbuilder';
import {
  type AuthenticateRequestResult,
  BotFrameworkAuthentication,
  type BotFrameworkClient,
  type ClaimsIdentity,
  ConnectorClient,
  ConnectorFactory,
  type UserTokenClient,
} from 'botframework-connector';

/** Activity as the connector takes it: JSON, with nothing undefined and dates as ISO strings. */
export function wireActivity(activity: Partial<Activity>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(activity)) as Record<string, unknown>;
}

/** Posts an activity as JSON through the client's own pipeline (its signing, retries, user agent). */
async function sendJson(connector: ConnectorClient, serviceUrl: string, method: 'POST' | 'PUT', path: string, activity: Partial<Activity>): Promise<ResourceResponse> {
  const base = serviceUrl.replace(/\/+$/, '');
  const request = createPipelineRequest({
    url: `${base}/${path}`,
    method,
    // As the generated client allows for an http:// service URL (a local client, a loopback test).
    allowInsecureConnection: base.toLowerCase().startsWith('http:'),
    body: JSON.stringify(wireActivity(activity)),
    headers: createHttpHeaders({ 'content-type': 'application/json; charset=utf-8', accept: 'application/json' }),
  });
  const response = await connector.sendRequest(request);
  const text = response.bodyAsText ?? '';
  if (response.status < 200 || response.status >= 300) {
    // The status is what callers act on (403 ends a stream); the body may say why.
    throw new RestError(`The Bot Connector answered ${String(response.status)} to ${method} ${path}: ${text.slice(0, 300)}`, { statusCode: response.status, request });
  }
  try {
    const parsed = JSON.parse(text) as { id?: unknown } | null;
    return { id: typeof parsed?.id === 'string' ? parsed.id : '' };
  } catch {
    return { id: '' };
  }
}

const activities = (conversationId: string, activityId?: string) =>
  `v3/conversations/${encodeURIComponent(conversationId)}/activities${activityId === undefined ? '' : `/${encodeURIComponent(activityId)}`}`;

/**
 * The client's three operations that carry an activity, replaced on this instance (a client this
 * factory just made, never a shared library object) by JSON posts; the rest stay the generated ones.
 */
function sendActivitiesAsJson(client: ConnectorClient, serviceUrl: string): ConnectorClient {
  Object.assign(client.conversations, {
    sendToConversation: (conversationId: string, activity: Partial<Activity>) => sendJson(client, serviceUrl, 'POST', activities(conversationId), activity),
    replyToActivity: (conversationId: string, activityId: string, activity: Partial<Activity>) => sendJson(client, serviceUrl, 'POST', activities(conversationId, activityId), activity),
    updateActivity: (conversationId: string, activityId: string, activity: Partial<Activity>) => sendJson(client, serviceUrl, 'PUT', activities(conversationId, activityId), activity),
  });
  return client;
}

/** The wrapped factory's clients, with JsonConversations in place of the generated operations. */
class JsonConnectorFactory extends ConnectorFactory {
  constructor(private readonly inner: ConnectorFactory) {
    super();
  }

  async create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    return sendActivitiesAsJson(await this.inner.create(serviceUrl, audience), serviceUrl);
  }
}

/** The given authentication, with connector clients that send activities as JSON (see the file comment). */
export class JsonConnectorAuthentication extends BotFrameworkAuthentication {
  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }

  authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateRequest(activity, authHeader).then((result) => ({
      ...result,
      connectorFactory: result.connectorFactory ? new JsonConnectorFactory(result.connectorFactory) : result.connectorFactory,
    }));
  }

  authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateStreamingRequest(authHeader, channelIdHeader).then((result) => ({
      ...result,
      connectorFactory: result.connectorFactory ? new JsonConnectorFactory(result.connectorFactory) : result.connectorFactory,
    }));
  }

  createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new JsonConnectorFactory(this.inner.createConnectorFactory(claimsIdentity));
  }

  createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }
}
