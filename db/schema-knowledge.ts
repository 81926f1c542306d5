/** The knowledge base ERA answers from (policy documents and their chunks). Filled by issue 3. */
export interface KnowledgeTables {}
