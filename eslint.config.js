// Lint rules that catch what bites Temporal and async TypeScript code in production.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import eslintConfigPrettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['node_modules/', '.venv/', 'web/dist/', '.data/', 'test-results/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    ignores: ['web/**'],
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Imports point down: db/ serves activities, api/ and the scripts, and never reaches back up into them.
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../api/*', '../activities/*', '../worker/*', '../workflows/*', '../scripts/*'],
              message: 'db/ may import only domain/ and lib/: a tool that needs api/ belongs in scripts/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The router is its own process below the API: what both need lives in domain/, db/ or lib/, never in api/.
    files: ['router/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../api/*',
                '../../api/*',
                '../scripts/*',
                '../../scripts/*',
                '../activities/*',
                '../../activities/*',
              ],
              message:
                'router/ may not import api/, activities/ or scripts/: move what both need to domain/, db/ or lib/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed: it must be deterministic, so no Node built-ins and no I/O libraries.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...builtinModules,
            ...builtinModules.map((m) => `node:${m}`),
            'postgres',
            '@aws-sdk/client-ssm',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ].map((name) => ({
            name,
            message: 'Workflows must be deterministic: do I/O in an activity.',
          })),
          patterns: [
            {
              group: ['../activities/*', '../api/*', '../db/*', '../lib/*'],
              allowTypeImports: true,
              message: 'Workflows may only import types from activities/api/db/lib.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process access in workflows.' },
        { name: 'setInterval', message: 'Use sleep/condition in workflows.' },
      ],
    },
  },
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['web/**/*.vue'] })),
  {
    files: ['web/**/*.vue', 'web/**/*.ts'],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
    rules: {
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  // Prettier formats everything, templates included (create-vue's setup): the stylistic rules it would fight are off.
  eslintConfigPrettier,
);
