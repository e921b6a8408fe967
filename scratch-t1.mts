import { PGlite } from '@electric-sql/pglite'
import { openDatabase } from './lib/db/database.js'
import { loadMigrations, migrate } from './lib/db/migrate.js'
let t = performance.now()
const lap = (s: string) => { const n = performance.now(); console.log(s, Math.round(n - t)); t = n }
const db = await openDatabase({ dataDir: 'memory://' }); lap('pglite create')
await migrate(db, await loadMigrations('/work/main/migrations')); lap('migrate')
const p = await PGlite.create('memory://'); lap('pglite create 2')
const dump = await p.dumpDataDir('none'); lap('dump ' + dump.size)
const p2 = await PGlite.create({ loadDataDir: dump }); lap('load')
const p3 = await PGlite.create({ loadDataDir: dump }); lap('load2')
