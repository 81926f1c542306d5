/** The dashboard API contract: request and response schemas, shared by server and pages. */
export * from './common';
export * from './sessions';
export * from './training';
export * from './compare';
export * from './practices';
