import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { formatPath, GenerationFileError } from '../errors';

/** Turns zod issues into path-named issues. */
export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/**
 * Reads FILE as JSON and validates it against SCHEMA. Every failure (missing file, bad JSON, schema
 * violation) becomes a GenerationFileError naming the file and the JSON path, so a caller never
 * writes half of a bad file.
 */
export async function loadJsonFile<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GenerationFileError(file, [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new GenerationFileError(file, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new GenerationFileError(file, zodIssues(parsed.error));
  return parsed.data;
}
