import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import t from 'tap'
import { plainThread } from '../../../lib/server/plain-thread.js'

t.test('a plain thread runs none of the modules NODE_OPTIONS preloads, which a thread started from a file runs', async (t) => {
  const dir = t.testdir()
  const preload = pathToFileURL(`${dir}/preload.mjs`)
  const body = pathToFileURL(`${dir}/body.mjs`)
  await writeFile(preload, 'globalThis.preloaded = true\n')
  await writeFile(body, "import { parentPort, workerData } from 'node:worker_threads'\n" +
    'parentPort.postMessage({ preloaded: globalThis.preloaded === true, workerData, options: process.env.NODE_OPTIONS })\n')
  const saved = process.env.NODE_OPTIONS
  t.teardown(() => { process.env.NODE_OPTIONS = saved })
  process.env.NODE_OPTIONS = `--import=${preload.href}`
  const reply = async (worker: Worker) => (await once(worker, 'message'))[0] as { preloaded: boolean, workerData: unknown, options?: string }

  t.match(await reply(new Worker(body, { execArgv: [] })), { preloaded: true }, 'a Worker with no execArgv still runs the preload')
  t.same(await reply(plainThread(body, { workerData: { id: 7 } })), { preloaded: false, workerData: { id: 7 } },
    'a plain thread does not, and is given its options')
  t.equal(process.env.NODE_OPTIONS, `--import=${preload.href}`, 'the process keeps its own NODE_OPTIONS')
})
