#!/usr/bin/env bash
# Records the scripted assistant's prompts (PROMPTS in lib/assistant/scripted.ts) as 8 kHz 16-bit mono WAV files
# in assets/prompts. Run by hand when a prompt's words change; the files are kept in the repository, so neither
# espeak-ng nor sox is needed to run or test the server (Debian: apt-get install espeak-ng sox).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p assets/prompts
npx tsx --eval "
  import('./lib/assistant/scripted.ts').then(({ PROMPTS }) => {
    for (const [name, words] of Object.entries(PROMPTS)) console.log(name + '\t' + words)
  })
" | while IFS=$'\t' read -r name words; do
  espeak-ng -v en-us -s 150 -w "/tmp/prompt-$name.wav" "$words"
  sox "/tmp/prompt-$name.wav" -r 8000 -c 1 -b 16 -e signed-integer "assets/prompts/$name.wav" gain -n -3
  rm "/tmp/prompt-$name.wav"
done
