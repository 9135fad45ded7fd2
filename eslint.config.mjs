import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';
import cycles from './infra/lint/cycles.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', '.tessera/', 'bench-results/', 'test-output/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  cycles,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { console: 'readonly', module: 'writable', process: 'readonly', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Takes some of the X-Ray SDK's CommonJS files whole (`import x = require(…)`): see the file.
    files: ['infra/lambda/xray.ts'],
    rules: { '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }] },
  },
  {
    files: ['test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-disabled-tests': 'error',
      'jest/no-focused-tests': 'error',
      'jest/expect-expect': [
        'error',
        {
          assertFunctionNames: [
            'expect',
            'expect*',
            // aws-cdk-lib/assertions: Template methods throw when the template does not match.
            '**.hasResource',
            '**.hasResourceProperties',
            '**.allResources',
            '**.allResourcesProperties',
            '**.resourceCountIs',
            '**.hasOutput',
          ],
        },
      ],
      'jest/no-conditional-expect': 'off',
    },
  },
);
