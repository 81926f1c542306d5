/**
 * Valid generated conversations for the loopback fake Messages API: the shipped seed re-keyed for
 * the planned conversation a generation request names, stretched or cut to its turn count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeStep, MessagesRequestBody } from './fake-anthropic';

const SEED = readFileSync(path.resolve(__dirname, '../../examples/financial-planning/seeds/fp_marcus_001.json'), 'utf8');

type Pair = { id: string; turn_number: number; conversation_metadata: { conversation_number: number } };

/** A valid annotated conversation for planned conversation KEY (number NUMBER) with TURNS turns. */
export function generatedAnswer(key: string, number: number, turns: number): string {
  const seed = JSON.parse(SEED.replaceAll('fp_marcus_001', key)) as { dataset_metadata: { total_turns: number }; training_pairs: Pair[] };
  while (seed.training_pairs.length < turns) {
    const next = structuredClone(seed.training_pairs.at(-1)!);
    next.turn_number += 1;
    next.id = `${key}_turn${next.turn_number}`;
    seed.training_pairs.push(next);
  }
  seed.training_pairs.length = turns;
  for (const p of seed.training_pairs) p.conversation_metadata.conversation_number = number;
  seed.dataset_metadata.total_turns = turns;
  return JSON.stringify(toWireFormat(seed));
}

type Map = Record<string, unknown>;
const pairs = (m: Map) => Object.entries(m).map(([key, value]) => ({ key, value }));

/**
 * A conversation in the seed structure as the API's structured output carries it: the free-form maps
 * (tactical_choices, word_choice_rationale) as lists of {key, value} pairs.
 */
export function toWireFormat<T>(seed: T): T {
  const copy = structuredClone(seed) as { training_pairs: Array<{ response_strategy?: { tactical_choices?: Map }; response_breakdown?: { sentences?: Array<{ word_choice_rationale?: Map }> } }> };
  for (const pair of copy.training_pairs) {
    if (pair.response_strategy?.tactical_choices) (pair.response_strategy as Map).tactical_choices = pairs(pair.response_strategy.tactical_choices);
    for (const s of pair.response_breakdown?.sentences ?? []) if (s.word_choice_rationale) (s as Map).word_choice_rationale = pairs(s.word_choice_rationale);
  }
  return copy as T;
}

const GENERATION = /Conversation id: (\w+) \(number (\d+)\)[\s\S]*?Turns: exactly (\d+)/;

/** The fake's answer to a generation request, or null when the request is not one. */
export function generationReply(body: MessagesRequestBody): FakeStep | null {
  const m = GENERATION.exec(JSON.stringify(body.messages).replace(/\\n/g, '\n'));
  if (!m) return null;
  return {
    text: generatedAnswer(m[1]!, Number(m[2]), Number(m[3])),
    usage: { input_tokens: 6000, output_tokens: 4000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}
