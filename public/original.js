// The original simple dashboard: log in, the customer list (kept up to date while calls go on), a call button per
// customer and a bulk-call button that asks first, with the count.
import { VoiceAssistantAuth } from '/vcm-auth.js'

const auth = new VoiceAssistantAuth()
const $ = (id) => document.getElementById(id)

function say (text, error = false) {
  $('message').textContent = text
  $('message').className = error ? 'error' : ''
}

let poll

function show () {
  $('login').hidden = auth.signedIn
  $('customers').hidden = !auth.signedIn
  $('logout').hidden = !auth.signedIn
  $('login').reset()
  $('bulk-confirm').hidden = true
  clearInterval(poll)
  if (!auth.signedIn) return
  loadCustomers()
  // Live status: the list is read again every few seconds while signed in.
  poll = setInterval(loadCustomers, 3000)
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
      for (const [value, wide] of [[customer.id, true], [customer.name ?? customer.id, false], [customer.phone, true], [customer.last_call_status ?? 'never called', false]]) {
        const cell = document.createElement('td')
        cell.textContent = value
        if (wide) cell.className = 'wide'
        row.append(cell)
      }
      // On a phone, the number under the name (its column is hidden).
      const phone = document.createElement('span')
      phone.className = 'small'
      phone.textContent = customer.phone
      row.children[1].append(phone)
      const button = document.createElement('button')
      button.textContent = 'Call'
      button.setAttribute('aria-label', `Call ${customer.name ?? customer.id}`)
      button.addEventListener('click', () => call(customer))
      const cell = document.createElement('td')
      cell.append(button)
      row.append(cell)
      return row
    }))
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`
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

// Everyone is called only once the count has been seen and confirmed.
$('bulk').addEventListener('click', async () => {
  try {
    const plan = await api('/api/trigger-bulk-calls', { method: 'POST', body: JSON.stringify({ filter: {}, dry_run: true }) })
    if (plan.would_dial === 0) return say('Nobody to call: every customer has a call queued or in progress, or may not be called', true)
    $('bulk-question').textContent = `Call ${plan.would_dial} customers?` + (plan.would_skip ? ` ${plan.would_skip} ${plan.would_skip === 1 ? 'is' : 'are'} skipped.` : '')
    $('bulk-yes').textContent = `Yes, call ${plan.would_dial} customers`
    $('bulk-confirm').hidden = false
    $('bulk-yes').focus()
  } catch (error) {
    say(error.message, true)
  }
})

$('bulk-yes').addEventListener('click', async () => {
  $('bulk-confirm').hidden = true
  try {
    const { message } = await api('/api/trigger-bulk-calls', { method: 'POST', body: JSON.stringify({ filter: {} }) })
    say(message)
    loadCustomers()
  } catch (error) {
    say(error.message, true)
  }
})
$('bulk-no').addEventListener('click', () => { $('bulk-confirm').hidden = true })

$('refresh').addEventListener('click', loadCustomers)
show()
