/**
 * npm run topics:train — trains the offline topic model (src/intent/topic-model.ts) on the policies'
 * section questions, the out-of-scope messages and the tuning parts of the labelled topic messages,
 * and writes examples/era/intent/topic-model.json. Run it after editing any of those files; a test
 * fails while the committed model is stale. Deterministic: the same files give the same bytes.
 *
 *   npm run topics:train [-- --out FILE] [-- --check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_TOPIC_MODEL_OPTIONS, serialiseTopicModel, SHIPPED_TOPIC_MODEL_FILE, topicModelFileText, trainTopicModel } from '../intent/topic-model';
import { trainingExamples } from '../intent/topic-training';

function main(): void {
  const program = new Command()
    .name('topics:train')
    .description('Train the offline topic model and write it as JSON.')
    .option('--out <file>', 'where to write the model', SHIPPED_TOPIC_MODEL_FILE)
    .option('--check', 'write nothing; exit 1 when the file differs from a fresh training')
    .parse();
  const { out, check } = program.opts<{ out: string; check?: boolean }>();
  const { examples, hash, heldOutDropped } = trainingExamples();
  const started = performance.now();
  const model = trainTopicModel(examples, DEFAULT_TOPIC_MODEL_OPTIONS);
  const text = topicModelFileText(serialiseTopicModel(model, hash));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const counts = { section: examples.filter((e) => e.source === 'section').length, message: examples.filter((e) => e.source === 'message').length };
  if (check) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      console.error(`topics:train --check: ${out} is not what the current training files give; run npm run topics:train`);
      process.exitCode = 1;
      return;
    }
    console.log(`${out} is up to date (${hash.slice(0, 12)}).`);
    return;
  }
  writeFileSync(out, text);
  const features = Object.keys(serialiseTopicModel(model, hash).weights).length;
  console.log(
    `Topic model written to ${out}: trained in ${seconds} s on ${counts.section} section questions and out-of-scope messages ` +
      `and ${counts.message} labelled tuning messages (${heldOutDropped} left out as identical to a held-out message); ${features} features, ${(text.length / 1024).toFixed(0)} KiB, examples ${hash.slice(0, 12)}.`,
  );
}

try {
  main();
} catch (err) {
  console.error(`topics:train failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
