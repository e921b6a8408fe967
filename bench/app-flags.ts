/** The node flags `npm start` gives the server (package.json), which the benches start the app's process with too. */
export const APP_FLAGS = ['--max-semi-space-size=64']
