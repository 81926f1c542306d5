/** Typed errors of knowledge ingestion, on the product's one error base. */
import { AppError } from '../../errors';

/** The knowledge folder does not exist or is not a folder. `dir` is the absolute path tried. */
export class KnowledgeDirNotFoundError extends AppError {
  readonly dir: string;

  constructor(dir: string, cause?: unknown) {
    super(`Knowledge folder not found: ${dir} (set KNOWLEDGE_DIR to the folder of Markdown policy documents)`, cause === undefined ? undefined : { cause });
    this.dir = dir;
  }

  get userMessage(): string {
    return this.message;
  }
}

/** A knowledge document could not be read; nothing was ingested. `path` is the absolute file path. */
export class KnowledgeReadError extends AppError {
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(`Cannot read knowledge document ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.path = path;
  }

  get userMessage(): string {
    return this.message;
  }
}
