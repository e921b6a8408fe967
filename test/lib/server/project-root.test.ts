import path from 'node:path'
import t from 'tap'
import { findProjectRoot, projectRoot } from '../../../lib/server/project-root.js'

t.test('the project root is the folder with package.json, from source or from dist/', async (t) => {
  t.equal(projectRoot, path.resolve(import.meta.dirname, '..', '..', '..'))
  t.equal(findProjectRoot(path.join(projectRoot, 'dist', 'plugins', 'app')), projectRoot)
  t.throws(() => findProjectRoot('/'), /No package.json above \//)
})
