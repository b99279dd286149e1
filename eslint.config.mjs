import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.test-env/**', '.alter-data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Only config.ts reads the environment (STYLE 10).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in config.ts only.' }],
    },
  },
  { files: ['**/config.ts', 'sdk/typescript/src/cli/main.ts', 'testenv/**', 'bench/**', '**/*.test.ts', 'api-server/src/testing/**', 'jest.config.js'], rules: { 'no-restricted-properties': 'off' } },
  // Migrations are frozen in time and typed over Kysely<any> (STYLE 19).
  { files: ['**/store/migrations/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', URL: 'readonly', URLSearchParams: 'readonly' } } },
  { files: ['**/*.js'], languageOptions: { globals: { module: 'readonly', require: 'readonly', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
