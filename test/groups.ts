// How `npm test` runs the test files: a few to a process. Each file under test/ named `*.test.ts` stands alone
// (`npx tap test/routes/api/audit.test.ts` runs it by itself), but tap gives every file it runs a process of its
// own, and a process that builds the app pays about 6 s of CPU before its first test (loading the modules,
// compiling the database engine's WebAssembly, starting the Cognito emulator, V8 optimising the same code again)
// and about 1 s for each app after. So tap runs the entry files in test/groups/, one a group, and each runs its
// group's files one after another in its process (runGroup). An entry file is named NN-group: tap starts them in
// name order, and the longest go first, so that no long group is left to run alone at the end.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'

const TEST_DIR = import.meta.dirname

/**
 * The groups, by the start of their files' paths under test/: a file belongs to the group with the longest start
 * that its path begins with, and to `rest` when none does (so that a new file always runs). Files that mostly
 * wait on processes of their own (real servers, crashes, the file reader) stay alone: beside another group they
 * overlap with its work.
 */
const GROUPS: Record<string, string[]> = {
  'lib-a': ['lib/assistant/', 'lib/auth/', 'lib/calling-rules/', 'lib/calls/', 'lib/campaigns/', 'lib/db/'],
  'lib-b': ['lib/'],
  'api-a': ['routes/api/a', 'routes/api/b', 'routes/api/caller-ids'],
  'api-b': ['routes/api/calls', 'routes/api/campaign'],
  'api-c': ['routes/api/customer', 'routes/api/e'],
  'api-d': ['routes/api/'],
  access: ['routes/auth/', 'routes/', 'public/'],
  telephony: ['routes/telephony/'],
  'app-a': ['app/config', 'app/cors', 'app/drain', 'app/errors', 'app/hostile-input'],
  'app-b': ['app/'],
  plugins: ['plugins/'],
  browser: ['e2e/'],
  drain: ['drain.test.ts'],
  'batch-crash': ['batch-crash.test.ts'],
  'webhook-crash': ['webhook-crash.test.ts'],
  server: ['server.test.ts'],
  'file-reader': ['lib/uploads/file-reader.test.ts']
}

/** Every test file under test/ (paths relative to it, with `/`), sorted. */
function testFiles (): string[] {
  return (readdirSync(TEST_DIR, { recursive: true }) as string[])
    .map((file) => file.split(path.sep).join('/'))
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
}

/** The group a test file belongs to. */
function groupOf (file: string): string {
  let best = { name: 'rest', length: 0 }
  for (const [name, starts] of Object.entries(GROUPS)) {
    for (const start of starts) {
      if (file.startsWith(start) && start.length > best.length) best = { name, length: start.length }
    }
  }
  return best.name
}

/**
 * Runs the files of the group named like the calling entry file (test/groups/NN-NAME.ts), one after another: each is
 * imported once the tests of the one before have finished, so that no file's set-up runs beside another's tests.
 * A file's tests are the process's own (tap's root test): its top-level teardowns run at the process's end.
 */
export function runGroup (entry: string): void {
  const named = (file: string) => path.basename(file, '.ts').replace(/^\d+-/, '')
  const entryFile = path.basename(fileURLToPath(entry))
  const name = named(entryFile)
  const entries = readdirSync(path.join(TEST_DIR, 'groups')).map(named)
  const missing = [...Object.keys(GROUPS), 'rest'].filter((group) => !entries.includes(group))
  t.same(missing, [], 'every group has its entry file in test/groups/ (a group without one never runs)')
  t.ok(name === 'rest' || name in GROUPS, `test/groups/${entryFile} is a group of test/groups.ts`)
  const files = testFiles().filter((file) => groupOf(file) === name)
  const next = (i: number) => {
    const file = files[i]
    if (!file) return
    t.test(file, async (t) => {
      await import(pathToFileURL(path.join(TEST_DIR, file)).href)
      t.pass('loaded: its tests follow')
      next(i + 1) // queued after the tests the file has just added
    })
  }
  next(0)
}
