import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'data/**', 'coverage/**', '.tap/**', 'test-output/**', 'test/openapi-client/generated/**'] }),
  {
    // The pages' scripts run in the browser.
    files: ['public/**/*.js'],
    languageOptions: { globals: { XMLHttpRequest: 'readonly', location: 'readonly', localStorage: 'readonly', document: 'readonly', window: 'readonly' } }
  },
  {
    // TypeBox's idiom names a schema and its static type alike; the compiler already rejects real redeclarations.
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
