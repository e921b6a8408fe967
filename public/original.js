// The original simple dashboard: log in, the customer list, a call button per customer and a bulk-call button.
import { VoiceAssistantAuth } from '/vcm-auth.js'

const auth = new VoiceAssistantAuth()
const $ = (id) => document.getElementById(id)

function say (text, error = false) {
  $('message').textContent = text
  $('message').className = error ? 'error' : ''
}

function show () {
  $('login').hidden = auth.signedIn
  $('customers').hidden = !auth.signedIn
  $('logout').hidden = !auth.signedIn
  if (auth.signedIn) loadCustomers()
}

async function api (url, options) {
  try {
    return await auth.request(url, options)
  } catch (error) {
    if (error.status === 401) {
      await auth.logout()
      show()
    }
    throw error
  }
}

async function loadCustomers () {
  try {
    const { customers, total } = await api('/api/customers?limit=100')
    $('total').textContent = `(${total})`
    $('rows').replaceChildren(...customers.map((customer) => {
      const row = document.createElement('tr')
      for (const value of [customer.id, customer.name ?? '', customer.phone, customer.last_call_status ?? 'never called']) {
        const cell = document.createElement('td')
        cell.textContent = value
        row.append(cell)
      }
      const button = document.createElement('button')
      button.textContent = 'Call'
      button.setAttribute('aria-label', `Call ${customer.name ?? customer.id}`)
      button.addEventListener('click', () => call(customer))
      const cell = document.createElement('td')
      cell.append(button)
      row.append(cell)
      return row
    }))
  } catch (error) {
    say(error.message, true)
  }
}

async function call (customer) {
  try {
    const { message } = await api('/api/trigger-single-call', { method: 'POST', body: JSON.stringify({ customer_id: customer.id }) })
    say(`${customer.name ?? customer.id}: ${message}`)
    loadCustomers()
  } catch (error) {
    say(`${customer.name ?? customer.id}: ${error.message}`, true)
  }
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = new FormData(event.target)
  const result = await auth.login(form.get('email'), form.get('password'))
  if (!result.success) return say(result.message, true)
  say('Logged in')
  show()
})

$('logout').addEventListener('click', async () => {
  await auth.logout()
  say('Logged out')
  show()
})

$('bulk').addEventListener('click', async () => {
  try {
    const { message, queued } = await api('/api/trigger-bulk-calls', { method: 'POST', body: JSON.stringify({ filter: {} }) })
    say(queued === 0 ? 'Nobody to call: every customer has a call queued or in progress' : message)
    loadCustomers()
  } catch (error) {
    say(error.message, true)
  }
})

$('refresh').addEventListener('click', loadCustomers)
show()
