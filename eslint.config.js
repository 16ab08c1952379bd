// ESLint (flat config): typescript-eslint's recommended rules, plus the layering rule that
// the CLI talks to the manager only through the API (and src/manager/index.ts, loaded lazily).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.test-labs/', '.bench-labs/', '**/testdata/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // the dashboard runs in a browser (no-undef is off for TypeScript: its own DOM types check globals); of the
    // manager's sources it takes types only, which vanish from the bundle (scripts/bundle-web.mjs)
    files: ['web/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // but src/shared/units.ts, pure and small: the one way to write sizes, in the CLI and here
              regex: '^(\\.\\./)+src/(?!shared/units\\.ts$)',
              allowTypeImports: true,
              message: 'the dashboard talks to the manager over the API: import only types from src/ (import type ...)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+manager/(?!index\\.ts$)',
              message: 'the CLI is a client of the API: use src/cli/api-client.ts and src/shared; lab and manager start load src/manager/index.ts lazily',
            },
          ],
        },
      ],
    },
  },
);
