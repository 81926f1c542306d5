/**
 * npm run tune -- <command>: the tuning loop from the command line (an operator's tool: every tester's
 * sessions). Sessions, replays and suggestions are named by full id or their first 8 characters.
 *
 *   suggest <session> [--out FILE]              prompt edits from the session's notes and scores, as a .patch
 *                                               (offline: a digest of the notes)
 *   patch <suggestion> [--out FILE]             a stored suggestion's .patch
 *   replay <session...> | --since DATE          re-run sessions (--since: every session with improvement notes
 *     --ref REF | --file PATH | --suggestion ID   since then) on a candidate prompt, score, compare; --batch
 *     [--batch] [--turns]                         sends round k of every session as one Message Batches batch
 *   replay --resume | --retry ID                carry on unfinished replays / a failed one
 *   compare --replay ID... | --group ID | --versions A B [--turns]
 *   rescore --session ID | --since DATE | --all [--batch] [--force]
 *   bundle <session> [--format md|json] [--out FILE]
 *   calibrate [--set FILE | --session ID | --since DATE | --all]
 *   status [replay]
 *
 * Ctrl-C stops at a point the same command carries on from. Exit 0 done, 1 error, 2 stopped / failed.
 */
import { Command } from 'commander';
import { DatabaseUnreachableError } from '../../db';
import { ConfigError, loadConfigFromProcess } from '../config';
import { isAppError } from '../errors';
import {
  bundleCommand, calibrateCommand, compareCommand, patchCommand, replayCommand, type ReplayOptions, rescoreCommand, statusCommand, suggestCommand, UsageError, withParts,
} from './tune-commands';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const program = new Command().name('tune').description('The tuning loop: suggestions, replays, comparisons, scores, bundles, judge calibration.').showHelpAfterError();
  program.command('suggest').argument('<session>').description('propose prompt edits from a session\'s notes (a .patch; offline a digest)')
    .option('--out <file>', 'where to write the .patch (default suggestion-<id>.patch)')
    .action((session: string, o: { out?: string }) => withParts(config, (p) => suggestCommand(p, session, o)));
  program.command('patch').argument('<suggestion>').description('print a stored suggestion\'s .patch').option('--out <file>', 'write it to FILE')
    .action((id: string, o: { out?: string }) => withParts(config, (p) => patchCommand(p, id, o)));
  program.command('replay').argument('[sessions...]').description('replay sessions on a candidate prompt, score and compare')
    .option('--since <date>', 'every session with improvement notes since DATE (YYYY-MM-DD)')
    .option('--ref <gitRef>', 'candidate: the prompt file at a git ref').option('--file <path>', 'candidate: a prompt file')
    .option('--suggestion <id>', 'candidate: a stored suggestion applied to the current prompt')
    .option('--batch', 'through the Message Batches API: half price, answered within 24 h')
    .option('--resume', 'carry on every unfinished replay').option('--retry <replay>', 'run a failed replay again from its failed turn')
    .option('--turns', 'print every turn\'s old and new answer')
    .action((sessions: string[], o: ReplayOptions) => withParts(config, (p) => replayCommand(p, sessions, o)));
  program.command('compare').description('per-metric deltas of replays, or of two prompt versions')
    .option('--replay <ids...>', 'one or more replays').option('--group <id>', 'the replays of one run over many sessions')
    .option('--versions <versions...>', 'two prompt versions: every turn recorded under each').option('--turns', 'print the answers side by side')
    .action((o: { replay?: string[]; group?: string; versions?: string[]; turns?: boolean }) => withParts(config, (p) => compareCommand(p, o)));
  program.command('rescore').description('store the metrics and judge the turns not yet judged under the current rubric')
    .option('--session <id>').option('--since <date>').option('--all').option('--batch', 'judge through the Message Batches API (half price)')
    .option('--force', 'judge again turns already judged under the current rubric and model')
    .action((o: { session?: string; since?: string; all?: boolean; batch?: boolean; force?: boolean }) => withParts(config, (p) => rescoreCommand(p, o)));
  program.command('bundle').argument('<session>').description('the session as one LLM-ready Markdown or JSON file')
    .option('--format <format>', 'md (default) or json').option('--out <file>', 'write to FILE instead of stdout')
    .action((session: string, o: { format?: string; out?: string }) => withParts(config, (p) => bundleCommand(p, session, o)));
  program.command('calibrate').description('how well the judge separates Looks-good replies from flagged ones')
    .option('--set <file>', 'a labelled calibration set, e.g. examples/era/calibration/calibration-set.json (judged in a fresh in-memory database)')
    .option('--session <id>').option('--since <date>').option('--all', 'every labelled turn in the database (the default)')
    .action((o: { set?: string; session?: string; since?: string; all?: boolean }) => calibrateCommand(config, o));
  program.command('status').argument('[replay]').description('recent replays, or one')
    .action((replay: string | undefined) => withParts(config, (p) => statusCommand(p, replay)));
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  // What the operator can fix is said plainly; only a bug gets a stack.
  if (isAppError(err)) console.error(`error: ${err.userMessage}`);
  else if (err instanceof UsageError || err instanceof ConfigError || err instanceof DatabaseUnreachableError) console.error(`error: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
});
