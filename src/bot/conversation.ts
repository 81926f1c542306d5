/** Teams ids of the conversation an activity came from, stored on a session it opens. */
import type { TurnContext } from 'botbuilder';
import type { JsonObject } from '../../db';
import { conversationTypeOf } from './wire';

/** conversation_id, conversation_type, channel_id, tenant_id and service_url of the turn's conversation. */
export function conversationMetadata(turn: TurnContext): JsonObject {
  const a = turn.activity;
  const channelData: unknown = a.channelData;
  const tenant = channelData && typeof channelData === 'object' && 'tenant' in channelData ? (channelData as { tenant?: { id?: unknown } }).tenant?.id : undefined;
  return {
    conversation_id: a.conversation.id,
    conversation_type: conversationTypeOf(a),
    channel_id: a.channelId,
    tenant_id: a.conversation.tenantId ?? (typeof tenant === 'string' ? tenant : null),
    service_url: a.serviceUrl,
  };
}
