import { createReadStream } from 'node:fs'
import { open, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { Database, Queryable } from '../db/database.js'
import type { MediaFormat } from '../voice/format.js'
import { repairWav, StereoRecording } from './stereo.js'
import { RecordingWriter } from './writer.js'

/** Where finished recordings are kept besides the folder: S3-compatible object storage (./s3.ts). */
export interface ObjectStore {
  /** Uploads the file (in parts) under `key`. */
  put (key: string, file: string): Promise<void>
  /** The object's bytes in `range` (inclusive), or all of them, with the whole object's size. */
  get (key: string, range?: { start: number, end: number }): Promise<{ body: Readable, size: number }>
  remove (keys: string[]): Promise<void>
}

export interface RecordingRow {
  call_id: string
  storage: 'folder' | 's3'
  key: string
  sample_rate: number
  started_at: Date
  bytes: number | null
  duration_ms: number | null
  finished_at: Date | null
}

/** A call being recorded: fed by the live call's session, finished when its stream ends. */
export interface LiveRecording {
  caller (audio: Buffer): void
  assistant (audio: Buffer, startsInMs: number): void
  clear (): void
  finish (): Promise<void>
}

const PART = '.wav.part'

/**
 * The calls' recordings: written to a folder as each call goes on (`<dir>/<call id>.wav.part`, renamed `.wav` when
 * finished), then kept there or, with an object store, uploaded to it and removed here. A row per recording in
 * `call_recording` says where it is. Files a crash left unfinished are repaired at start.
 */
export class Recordings {
  readonly #writer = new RecordingWriter()

  constructor (
    private readonly db: Database,
    readonly dir: string,
    private readonly objects: ObjectStore | undefined,
    private readonly log: (message: string, detail: Record<string, unknown>) => void
  ) {}

  /** Starts recording a call whose stream has just started, in the stream's format. */
  async begin (callId: string, format: MediaFormat): Promise<LiveRecording> {
    const recording = await StereoRecording.open(this.#writer, this.#file(callId, PART), format)
    await this.db.query(
      `INSERT INTO call_recording (call_id, storage, key, sample_rate, started_at) VALUES ($1, 'folder', $2, $3, now())
       ON CONFLICT (call_id) DO NOTHING`, [callId, `${callId}.wav`, recording.sampleRate])
    return {
      caller: (audio) => recording.caller(audio),
      assistant: (audio, startsInMs) => recording.assistant(audio, startsInMs),
      clear: () => recording.clear(),
      finish: async () => {
        const { bytes, durationMs } = await recording.finish()
        await this.#finished(callId, bytes, durationMs)
      }
    }
  }

  /** Ends the writer's thread, once what it was given is written. */
  async close (): Promise<void> {
    await this.#writer.close()
  }

  /** The recording of a call, once finished. */
  async find (db: Queryable, callId: string): Promise<RecordingRow | undefined> {
    const { rows } = await db.query<RecordingRow>(
      `SELECT call_id, storage, key, sample_rate, started_at, bytes::float8 AS bytes, duration_ms, finished_at
       FROM call_recording WHERE call_id = $1 AND finished_at IS NOT NULL`, [callId])
    return rows[0]
  }

  /** A finished recording's bytes in `range` (inclusive), or all of them. */
  async read (row: RecordingRow, range?: { start: number, end: number }): Promise<Readable> {
    if (row.storage === 's3') return (await this.objects!.get(row.key, range)).body
    return createReadStream(path.join(this.dir, row.key), range ?? {})
  }

  /** Forgets recordings (a customer erased, retention): their files and objects go after their rows. */
  async remove (rows: Array<{ storage: string, key: string }>): Promise<void> {
    const objects = rows.filter((row) => row.storage === 's3').map((row) => row.key)
    if (objects.length) await this.objects!.remove(objects)
    for (const row of rows.filter((row) => row.storage === 'folder')) {
      await rm(path.join(this.dir, row.key), { force: true })
      await rm(path.join(this.dir, row.key.replace(/\.wav$/, PART)), { force: true })
    }
  }

  /**
   * Recordings older than `days`: their rows are deleted, then their files. Answers how many. The dispatcher's
   * upkeep runs it (RECORDING_RETENTION_DAYS).
   */
  async sweep (days: number, now: Date): Promise<number> {
    const { rows } = await this.db.query<{ storage: string, key: string }>(
      `DELETE FROM call_recording WHERE call_id IN (
         SELECT call_id FROM call_recording WHERE started_at < $1::timestamptz - make_interval(days => $2) LIMIT 500)
       RETURNING storage, key`, [now, days])
    await this.remove(rows)
    return rows.length
  }

  /**
   * At start, before any call streams: recordings a crash left unfinished are made playable from what reached the
   * disk, and those not yet uploaded are uploaded. Answers the calls repaired.
   */
  async repair (): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[])
    const repaired: string[] = []
    for (const name of names.filter((name) => name.endsWith(PART))) {
      const callId = name.slice(0, -PART.length)
      const file = await open(path.join(this.dir, name), 'r+')
      let kept
      try {
        kept = await repairWav(file)
      } finally {
        await file.close()
      }
      this.log('recordings: an unfinished recording repaired', { callId, durationMs: kept.durationMs })
      await this.#finished(callId, kept.bytes, kept.durationMs)
      repaired.push(callId)
    }
    return repaired
  }

  /** A recording is whole: renamed, uploaded when there is an object store, and its row says where it is. */
  async #finished (callId: string, bytes: number, durationMs: number) {
    await rename(this.#file(callId, PART), this.#file(callId, '.wav'))
    let storage = 'folder'
    if (this.objects) {
      try {
        await this.objects.put(`${callId}.wav`, this.#file(callId, '.wav'))
        await rm(this.#file(callId, '.wav'))
        storage = 's3'
      } catch (error) {
        // Kept in the folder, where it plays from, rather than lost.
        this.log('recordings: the upload failed, the recording is kept in the folder', { callId, err: error })
      }
    }
    await this.db.query(
      'UPDATE call_recording SET storage = $2, bytes = $3, duration_ms = $4, finished_at = now() WHERE call_id = $1',
      [callId, storage, bytes, durationMs])
  }

  #file (callId: string, ending: string): string {
    return path.join(this.dir, `${callId}${ending}`)
  }
}
