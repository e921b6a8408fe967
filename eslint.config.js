import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'data/**', 'coverage/**', '.tap/**'] }),
  {
    // TypeBox's idiom names a schema and its static type alike; the compiler already rejects real redeclarations.
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
