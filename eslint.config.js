import js from '@eslint/js';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import enginePackages from './eslint-rules/engine-packages.js';
import layering from './eslint-rules/layering.js';

const root = import.meta.dirname;

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'tests/fixtures/generated/**',
      'ml/export/tflite/tflite-format/**',
      'bench/results/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { local: { rules: { layering, 'engine-packages': enginePackages } } },
    rules: {
      'local/layering': ['error', { root }],
      'local/engine-packages': ['error', { root }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'vue/multi-word-component-names': 'off',
    },
  },
  // Prettier owns the layout; this turns off the ESLint and Vue rules that would argue with it.
  prettier,
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
