/** The bot's JSON APIs: their shared authentication and their handlers. */
export { createApiAuth, sendJson, sendUnauthorized, type ApiAuth, type ApiAuthOptions, type ApiPrincipal, type ApiRequest } from './api-auth';
export { createGenerationsLatestHandler, GENERATIONS_LATEST_PATH, type GenerationsLatestDeps, type GenerationsLatestRequest } from './generations-latest';
export { BEST_PRACTICE_PATH, BEST_PRACTICES_PATH, createBestPracticesHandlers, parsePracticeQuery, type BestPracticesDeps, type BestPracticesRequest } from './best-practices';
