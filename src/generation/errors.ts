/** Typed errors of the generation module (on the product's one error base); each names the file and, where known, the JSON path. */
import { AppError } from '../errors';

/** One problem found in a file, at a JSON path such as `training_pairs[1].response_breakdown.sentences[2].text`. */
export interface FileIssue {
  path: string;
  message: string;
}

/** A plan or seed file that cannot be read, parsed or validated. Nothing was written. */
export class GenerationFileError extends AppError {
  constructor(
    readonly file: string,
    readonly issues: FileIssue[],
  ) {
    super(`${file}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }

  get userMessage(): string {
    return this.message;
  }
}

/** A seed file that validated but could not be written; its transaction was rolled back. */
export class SeedImportError extends AppError {
  constructor(
    readonly file: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${file}: ${path}: ${cause instanceof Error ? cause.message : String(cause)} (nothing from this file was imported)`, { cause });
  }

  get userMessage(): string {
    return this.message;
  }
}

/** Renders a zod-style path (`['a', 0, 'b']`) as `a[0].b`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(root)';
}
