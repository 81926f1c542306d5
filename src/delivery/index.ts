/** Delivery bookkeeping with no Teams types: activity claims (each activity handled once) and the turn queue. */
export { type ActivityKey, ActivityClaims, type ClaimOptions, type ClaimResult, DEFAULT_CLAIM_OPTIONS } from './activity-claims';
export { WorkQueue, type WorkQueueOptions } from './work-queue';
