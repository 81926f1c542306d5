/**
 * The judge's rubric: a Markdown file beside the prompt whose front matter names its version
 * (`rubric_version: …`). The version is stored with every score, so scores from different rubrics are
 * never mixed up; edit the rubric, bump the version, and a rescore judges again under the new one.
 */
import { PromptFileError, readPromptText } from '../era';
import { RubricFileError } from './errors';

/** The rubric as sent to the judge. */
export interface Rubric {
  /** The declared version, e.g. "era-judge-2026-12-02". */
  version: string;
  /** The text after the front matter: the judge's instructions. */
  text: string;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  path: string;
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;
const VERSION_LINE = /^rubric_version:\s*["']?([A-Za-z0-9._:+-]{1,80})["']?\s*$/m;

/** Parses a rubric file's text. @throws RubricFileError naming what is missing. */
export function parseRubric(path: string, raw: string, sha256: string): Rubric {
  const front = FRONT_MATTER.exec(raw);
  if (!front) throw new RubricFileError(path, 'it has no front matter (a first block between --- lines with rubric_version: …)');
  const version = VERSION_LINE.exec(front[1] ?? '')?.[1];
  if (!version) throw new RubricFileError(path, 'its front matter has no rubric_version line (letters, digits and ._:+- only)');
  const text = raw.slice(front[0].length).trim();
  if (text === '') throw new RubricFileError(path, 'it has no instructions after the front matter');
  return { version, text, sha256, path };
}

/** Reads the rubric (cached by modification time, as the prompt is). @throws RubricFileError */
export async function loadRubric(path: string): Promise<Rubric> {
  try {
    const { text, sha256 } = await readPromptText(path);
    return parseRubric(path, text, sha256);
  } catch (err) {
    if (err instanceof PromptFileError) throw new RubricFileError(path, err.message.replace(/^Cannot read the prompt file [^:]*: /, ''), { cause: err });
    throw err;
  }
}
