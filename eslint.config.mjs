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
  },
);
