/** The format of a call's audio, both ways: what every part of the live call speaks, whatever the provider. */
export interface MediaFormat {
  encoding: 'pcm16' | 'mulaw'
  sampleRate: 8000 | 16000 | 24000
}

/** Bytes of audio a second, in this format. */
export function bytesPerSecond (format: MediaFormat): number {
  return format.sampleRate * (format.encoding === 'mulaw' ? 1 : 2)
}
