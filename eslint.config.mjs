// ESLint: typescript-eslint's strict type-checked rules over the whole project, with no rule switched
// off for src/ and db/. Tests and benchmarks relax a few rules, each with its reason below.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'appPackage/build/', 'jest.config.js', 'eslint.config.mjs'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Strings and numbers read well in a template; anything else must be turned into text on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `const { dropped, ...kept } = row` is how a column is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The dashboard's pages are browser code with their own tsconfig (DOM types, JSX, bundler resolution).
    files: ['src/dashboard/web/**/*.ts', 'src/dashboard/web/**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: false, project: './tsconfig.web.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['bot-tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // A row or element a test expects must exist; `!` makes its absence fail the test at that line.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Test doubles implement async interfaces (roster lookups, connectors) with answers at hand.
      '@typescript-eslint/require-await': 'off',
      // jest's asymmetric matchers (expect.any, expect.stringMatching) and fixtures read with JSON.parse
      // are typed any; a test asserts on them rather than trusting them.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
