export * from './errors';
export * from './types';
export { cleanText, describeCleaning, type CleanText } from './text';
export {
  ensureOpenSession,
  findOpenSession,
  closeOpenSession,
  restartSession,
  listSessions,
  resolveTesterSession,
  shortId,
  type OpenedSession,
  type PromptStamp,
} from './sessions';
export { recordTurn, recentTurns, setReplyActivityId, findTesterTurn, findTesterTurnByReply, findTurn, type NewTurnInput, type TesterTurn } from './turns';
export { addNote, listNotes, parseCategory, parseNoteText, type NoteInput, type NoteResult } from './notes';
export { sessionStats, type SessionStats } from './stats';
export {
  EXPORT_COLUMNS,
  neutraliseCell,
  sessionExportRows,
  sessionCsvStream,
  openSessionCsvStream,
  sessionCsvByteLength,
  exportFileName,
  type SessionExportRow,
  type SessionExportOptions,
} from './export-csv';
export { createExportToken, verifyExportToken, ExportLinkError, type ExportLinkClaims } from './export-links';
export { checkDownloadLink, sendPlainText } from './download-link';
export { createExportDownloadHandler, type ExportDownloadHandler } from './export-http';
export { uploadSessionCsv, ExportUploadError, type UploadSessionCsvOptions } from './export-upload';
export { anonymizeModeOf, exportTextFilter, type ExportPrivacy, type ExportText } from './export-privacy';
export type {
  CallRecorder, IntentCapture, IntentPrediction, PassageRetriever, PromptProvider, ReplySink, RetrievedPassageLike, TopicView, TurnJudge, TurnReply, TurnServiceDeps,
} from './turn-ports';
export { NO_MATCH_TEMPLATE, NO_MATCH_TEXT, noMatchAnswer } from './no-match';
export { prepareTurn, answerTurn, type PreparedTurn, type SessionWelcome, type TurnRequest } from './turn-service';
export { prepareSessionExport, uploadConsentedCsv, type SessionExport } from './export-service';
export { readDialogState, writeDialogState, deleteDialogState, DialogStateConflictError, type StoredDialogState } from './dialog-state';
export {
  listSessionOverview, sessionFacets, sessionOverview, sessionTurnsWithNotes,
  type SessionListFilter, type SessionOverviewRow, type SessionSortField, type SessionTurnDetail,
} from './session-overview';
