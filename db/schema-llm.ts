/** The log of every model call and the prompt-capture (intent) log. Filled by issue 3. */
export interface LlmTables {}
