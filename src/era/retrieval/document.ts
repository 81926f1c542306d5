/** Reads a knowledge document's title and topic from its first lines. */

/** The topic ids of the knowledge base; the intent classifier uses these plus `other`. */
export const KNOWLEDGE_TOPICS = [
  'attendance',
  'scheduling',
  'leave',
  'discipline',
  'harassment',
  'safety',
  'termination',
  'pay',
  'conduct',
  'accommodation',
] as const;

export type KnowledgeTopic = (typeof KNOWLEDGE_TOPICS)[number];

/** A knowledge document split into its metadata and the Markdown to chunk. */
export interface ParsedDocument {
  /** The first `# ` heading; null when the document has none. */
  title: string | null;
  /** The `Topic:` line's value, lower-cased; null when absent. */
  topic: string | null;
  /** The Markdown with the `Topic:` line removed (it is metadata, not policy text). */
  body: string;
}

const TITLE = /^#[ \t]+(.+?)[ \t]*#*[ \t]*$/;
const TOPIC = /^topic:[ \t]*(\S.*?)[ \t]*$/i;

/**
 * Parses a document. The `Topic:` line counts only before the first section heading (`## …`), so a
 * policy sentence starting with "Topic:" further down is left alone.
 */
export function parseDocument(markdown: string): ParsedDocument {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let title: string | null = null;
  let topic: string | null = null;
  let topicLine = -1;
  for (const [i, line] of lines.entries()) {
    if (/^#{2,6}[ \t]/.test(line)) break;
    const t = TITLE.exec(line)?.[1];
    if (t !== undefined && title === null) title = t;
    const m = TOPIC.exec(line)?.[1];
    if (m !== undefined && topic === null) {
      topic = m.toLowerCase();
      topicLine = i;
    }
  }
  // A title lower down (after some preamble) still counts, as long as it is the first `# ` line.
  if (title === null) {
    for (const line of lines) {
      const t = TITLE.exec(line)?.[1];
      if (t !== undefined) {
        title = t;
        break;
      }
    }
  }
  const body = topicLine >= 0 ? lines.filter((_, i) => i !== topicLine).join('\n') : lines.join('\n');
  return { title, topic, body };
}

/** Whether a topic id is one of the knowledge base's ten. */
export function isKnowledgeTopic(topic: string | null): topic is KnowledgeTopic {
  return topic !== null && (KNOWLEDGE_TOPICS as readonly string[]).includes(topic);
}
