/**
 * Sign-in for the dashboard's JSON API (and reusable by other JSON APIs of the bot): Teams SSO
 * bearer tokens, signed links traded for a cookie, and local mode on loopback.
 */
export { createDashboardAuth, cookieValue, isLocalRequest, SESSION_COOKIE, type AuthOutcome, type DashboardAuth, type DashboardAuthOptions } from './authenticate';
export { isAdmin, mayUseBot, LOCAL_TESTER_ID, type Principal, type SignInMethod } from './principal';
export { SignedTokenError, signIdentity, verifyIdentity, type SignedIdentity, type SignedPurpose } from './signed-tokens';
export { createTeamsSsoVerifier, issuersFor, SsoTokenError, type SsoIdentity, type TeamsSsoOptions } from './teams-sso';
