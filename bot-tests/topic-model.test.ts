/**
 * The offline topic model (src/intent/topic-model.ts): the committed file is what the training files
 * give today, training never reads a held-out message, a damaged file fails loudly, and the model's
 * arithmetic does what its documentation says.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  decideTopic,
  DEFAULT_TOPIC_MODEL_OPTIONS,
  featuresOf,
  INTENT_IDS,
  loadSectionTopics,
  passageTopic,
  SECTION_TOPICS_FILE,
  topicOfSection,
  TOPIC_SPLITS,
  loadTopicMessages,
  loadTopicModel,
  serialiseTopicModel,
  SHIPPED_TOPIC_MODEL_FILE,
  TopicModelError,
  topicProbabilities,
  trainingExamples,
  TRAINING_SPLITS,
  trainTopicModel,
} from '../src/intent';
import { deserialiseTopicModel, topicModelFileText } from '../src/intent/topic-model';

const QUALITY_DIR = path.resolve(__dirname, '../examples/era/quality');

describe('the committed topic model', () => {
  const { examples, hash, heldOutDropped } = trainingExamples();

  it('is exactly what npm run topics:train writes from the current training files', () => {
    const committed = readFileSync(SHIPPED_TOPIC_MODEL_FILE, 'utf8');
    expect(loadTopicModel().trainedOn).toBe(hash);
    expect(committed).toBe(topicModelFileText(serialiseTopicModel(trainTopicModel(examples, DEFAULT_TOPIC_MODEL_OPTIONS), hash)));
  });

  it('learns from section questions, out-of-scope messages and the tuning parts only, never a held-out message', () => {
    expect(examples.filter((e) => e.source === 'section' && e.topic === 'other').length).toBeGreaterThanOrEqual(290);
    expect(new Set(examples.filter((e) => e.source === 'section').map((e) => e.topic))).toEqual(new Set(INTENT_IDS));
    expect(examples.filter((e) => e.source === 'message').length).toBeGreaterThanOrEqual(500);
    const files = readdirSync(QUALITY_DIR).filter((f) => /^topic-messages.*\.json$/.test(f));
    const heldOut = files.flatMap((f) => loadTopicMessages(path.join(QUALITY_DIR, f))).filter((m) => !TRAINING_SPLITS.includes(m.split));
    expect(new Set(heldOut.map((m) => m.split))).toEqual(new Set(TOPIC_SPLITS.filter((s) => !TRAINING_SPLITS.includes(s))));
    // Compared without case and punctuation, and by an independent key: two writers' "Hi!" and "hi" are one message.
    const norm = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
    const trained = new Set(examples.map((e) => norm(e.text)));
    expect(heldOut.filter((m) => trained.has(norm(m.message))).map((m) => m.id)).toEqual([]);
    // The tuning part's "hi" and "She's been late 4 times this month, what do I do" were also written for held-out sets.
    expect(heldOutDropped).toBeGreaterThanOrEqual(2);
  });
});

describe('training files that cannot be used', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'topic-training-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const sources = (files: { outOfScope?: string; messages?: string }) => {
    const outOfScopeFile = path.join(dir, 'out-of-scope.json');
    const messageFile = path.join(dir, 'topic-messages-x.json');
    writeFileSync(outOfScopeFile, files.outOfScope ?? JSON.stringify({ messages: ['order more towels'] }));
    writeFileSync(messageFile, files.messages ?? JSON.stringify({ messages: [{ id: 'a', split: 'tune', message: 'she was late again', topic: 'attendance' }] }));
    return { knowledgeDir: dir, messageFiles: [messageFile], outOfScopeFile, sectionTopicsFile: null };
  };

  it('fail naming the file: an out-of-scope file of the wrong shape, a message with an unknown topic', () => {
    expect(() => trainingExamples(sources({ outOfScope: JSON.stringify({ messages: 'towels' }) }))).toThrow(/out-of-scope\.json: expected \{ "messages"/);
    expect(() => trainingExamples(sources({ messages: JSON.stringify({ messages: [{ id: 'a', split: 'tune', message: 'x', topic: 'payroll' }] }) }))).toThrow(/topic-messages-x\.json: .*not a topic id/);
  });

  it('leave out a training text that is a held-out message, case and punctuation aside', () => {
    const messages = JSON.stringify({
      messages: [
        { id: 'a', split: 'tune', message: 'She was late AGAIN!', topic: 'attendance' },
        { id: 'b', split: 'tune', message: 'can I approve a vacation', topic: 'leave' },
        { id: 'c', split: 'holdout', message: 'she was late again', topic: 'attendance' },
      ],
    });
    const { examples, heldOutDropped } = trainingExamples(sources({ messages }));
    expect(examples.map((e) => e.text)).toEqual(['order more towels', 'can I approve a vacation']);
    expect(heldOutDropped).toBe(1);
  });
});

describe('a topic model file that cannot be used', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'topic-model-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const shipped = () => JSON.parse(readFileSync(SHIPPED_TOPIC_MODEL_FILE, 'utf8')) as { topics: string[]; weights: Record<string, number[]> };
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it.each([
    ['missing', null, /ENOENT/],
    ['not JSON', '{"version": 1,', /JSON/],
    ['not a model', '{"hello": "world"}', /not a topic model/],
    ['of other topics', 'topics', /are not the current topic ids/],
    ['with a short weight row', 'row', /weights of w:late are not 11 finite numbers/],
  ])('fails naming the file and what to do when %s', (label, change, reason) => {
    let text: string | null = null;
    if (change === 'topics') text = JSON.stringify({ ...shipped(), topics: [...INTENT_IDS].reverse() });
    else if (change === 'row') text = JSON.stringify({ ...shipped(), weights: { ...shipped().weights, 'w:late': [1, 2] } });
    else if (change !== null) text = change;
    const file = text === null ? path.join(dir, 'absent.json') : write(`${label.replace(/\W/g, '-')}.json`, text);
    let thrown: unknown;
    try {
      loadTopicModel(file);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TopicModelError);
    expect((thrown as Error).message).toContain(file);
    expect((thrown as Error).message).toMatch(reason);
    expect((thrown as Error).message).toContain('npm run topics:train');
  });
});

describe('the topic model', () => {
  const tiny = [
    { text: 'she was late again this morning', topic: 'attendance', source: 'message' },
    { text: 'he keeps showing up late to his shift', topic: 'attendance', source: 'message' },
    { text: 'can I approve a vacation request', topic: 'leave', source: 'message' },
    { text: 'how much vacation does she have left', topic: 'leave', source: 'message' },
    { text: 'order more towels for the locker room', topic: 'other', source: 'section' },
  ] as const;
  const options = { ...DEFAULT_TOPIC_MODEL_OPTIONS, minCount: 1 };

  it('is deterministic: the same examples and options give the same weights', () => {
    const a = serialiseTopicModel(trainTopicModel(tiny, options), 'x');
    const b = serialiseTopicModel(trainTopicModel(tiny, options), 'x');
    expect(a).toEqual(b);
    expect(serialiseTopicModel(trainTopicModel(tiny, { ...options, seed: 7 }), 'x')).not.toEqual(a);
  });

  it("learns its examples' topics, and its probabilities sum to one", () => {
    const model = trainTopicModel(tiny, options);
    expect(decideTopic(model, 'late again').topic).toBe('attendance');
    expect(decideTopic(model, 'vacation request').topic).toBe('leave');
    expect(decideTopic(model, 'towels').topic).toBe('other');
    const p = topicProbabilities(model, featuresOf('late vacation', options));
    expect([...p].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it("weighs the rules' hits as features, and drops words seen once when minCount is 2", () => {
    expect(featuresOf('She was a no-show on Saturday').names).toEqual(expect.arrayContaining(['w:saturday', 'r:attendance.no_call_no_show', '_bias']));
    const rare = trainTopicModel(tiny, { ...options, minCount: 2 });
    expect(rare.weights.has('w:late')).toBe(true);
    expect(rare.weights.has('w:towel')).toBe(false);
  });

  it('adds the retriever evidence as evidenceWeight × similarity to ln p, so strong evidence outweighs weak words', () => {
    const model = deserialiseTopicModel(JSON.parse(readFileSync(SHIPPED_TOPIC_MODEL_FILE, 'utf8')));
    const text = 'how often should the locker room floors be checked';
    const alone = decideTopic(model, text);
    expect(alone.topic).toBe('safety');
    expect(decideTopic(model, text, new Map([['conduct', 0.9]])).topic).toBe('conduct');
    expect(decideTopic(model, text, new Map([['conduct', 0.9]]), 0)).toEqual(alone);
  });
});

describe('the section topics', () => {
  const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');

  it('name real headings of real policies, each filed under a topic other than its policy\'s', () => {
    const sections = loadSectionTopics();
    expect(sections.size).toBeGreaterThan(0);
    for (const [file, headings] of sections) {
      const markdown = readFileSync(path.join(KNOWLEDGE_DIR, file), 'utf8');
      const policyTopic = /^topic:\s*(\S+)/im.exec(markdown)?.[1]?.toLowerCase();
      for (const [heading, topic] of headings) {
        expect({ file, heading, found: new RegExp(`^#+ ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm').test(markdown) }).toEqual({ file, heading, found: true });
        expect(topic).not.toBe(policyTopic);
      }
    }
  });

  it("gives a section whose own heading is filed that topic, and every other section (a filed heading's other subsections too) its policy's", () => {
    const sections = loadSectionTopics();
    expect(topicOfSection(sections, 'scheduling-and-shift-swaps.md', 'scheduling', '5. Rest and meal breaks › 5.2 Meal periods')).toBe('pay');
    expect(topicOfSection(sections, 'scheduling-and-shift-swaps.md', 'scheduling', '5. Rest and meal breaks')).toBe('pay');
    expect(topicOfSection(sections, 'scheduling-and-shift-swaps.md', 'scheduling', '5. Rest and meal breaks › 5.4 Rest between shifts and split shifts')).toBe('scheduling');
    expect(topicOfSection(sections, 'scheduling-and-shift-swaps.md', 'scheduling', '4. Shift swaps and giving away shifts › 4.1 What a swap is')).toBe('scheduling');
    expect(topicOfSection(sections, 'scheduling-and-shift-swaps.md', 'scheduling', null)).toBe('scheduling');
    expect(passageTopic(sections, { sourcePath: 'progressive-discipline.md', topic: 'discipline', section: '2. The steps › 2.5 Review of employment' })).toBe('termination');
    expect(passageTopic(sections, { sourcePath: 'unknown.md', topic: null, section: 'x' })).toBeNull();
  });

  it('fails naming the file on an unknown topic', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'section-topics-'));
    try {
      const file = path.join(dir, 'section-topics.json');
      writeFileSync(file, JSON.stringify({ sections: { 'a.md': { '1. A': 'payroll' } } }));
      expect(() => loadSectionTopics(file)).toThrow(new RegExp(`${file.replace(/[/\\.]/g, '.')}.*not a topic id`));
      expect(SECTION_TOPICS_FILE).toMatch(/section-topics\.json$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
