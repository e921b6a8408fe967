import { appWithCustomers, testClock, until as waitFor } from '../../helper.js'

// The app the campaign-rule tests start from, with its customers uploaded.
// Numbers by what the simulator does with them (last digit): 5 answers and presses 2, 1 is busy.
export const CSV = [
  'customer_id,name,phone',
  'A1,Answers One,9000000105',
  'A2,Answers Two,9000000205',
  'A3,Answers Three,9000000305',
  'B1,Busy One,9000000101'
].join('\n') + '\n'

/** The app, its customers uploaded; `clock` moves the dispatcher's time (retries come due when it is moved). */
export async function campaignApp (t: Parameters<typeof appWithCustomers>[0], env: Record<string, string> = {}) {
  const clock = testClock()
  const app = await appWithCustomers(t,
    { EXOTEL_SIMULATOR_RING_MS: '50', EXOTEL_SIMULATOR_TALK_MS: '200', CALLS_PER_MINUTE: '200', CALL_RETRIES: '0', ...env }, CSV,
    { clock: clock.now })
  const callsOf = async (customerId: string) => (await app.get(`/api/calls?customer_id=${customerId}`)).json().calls
  return { ...app, callsOf, clock }
}

// Calls here can wait out a retry delay of a few seconds.
export const until = (check: () => Promise<boolean>, what: string) => waitFor(check, what, 600)
