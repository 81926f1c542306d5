/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/bot-tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 60000,
  // PGlite instances and bot adapters are heavy: two workers fit the 2-core machine.
  maxWorkers: 2,
  // The dashboard's bundle, built once (src/dashboard/build.ts).
  globalSetup: '<rootDir>/bot-tests/helpers/global-setup.ts',
};
