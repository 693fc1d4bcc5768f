// Staff consoles: follow the site's staff event stream and, when the queue
// changes, fetch the page again and swap in its live regions (elements with
// data-live and an id). Forms outside those regions are never touched, so
// nothing typed is lost. Without this script the pages work the same, with
// a Refresh link.

const root = document.querySelector('[data-live-stream]')
const status = document.getElementById('live-status')
const storeKey = 'frontdoor-dismissed-alerts'

function dismissedAlerts () {
  try { return new Set(JSON.parse(sessionStorage.getItem(storeKey) || '[]')) } catch { return new Set() }
}

// wireAlerts lets each emergency alert be dismissed on this console.
function wireAlerts () {
  const dismissed = dismissedAlerts()
  for (const alert of document.querySelectorAll('[data-alert-id]')) {
    const id = alert.dataset.alertId
    if (dismissed.has(id)) { alert.hidden = true; continue }
    const button = alert.querySelector('[data-dismiss]')
    if (!button || button.dataset.wired) continue
    button.dataset.wired = '1'
    button.hidden = false
    button.addEventListener('click', () => {
      const set = dismissedAlerts()
      set.add(id)
      sessionStorage.setItem(storeKey, JSON.stringify([...set]))
      alert.hidden = true
      const h1 = document.querySelector('h1')
      if (h1) { h1.tabIndex = -1; h1.focus() }
    })
  }
}

// liveAlerts are alerts the stream carried that the log could not keep
// (see queue.RaiseEmergency); they are shown until the page is left.
const liveAlerts = []

function showLiveAlerts () {
  const region = document.getElementById('alerts')
  if (!region) return
  for (const a of liveAlerts) {
    if (region.querySelector(`[data-live-alert="${CSS.escape(a.key)}"]`)) continue
    const div = document.createElement('div')
    div.className = 'app-emergency'
    div.setAttribute('role', 'alert')
    div.dataset.liveAlert = a.key
    const h = document.createElement('h2')
    h.className = 'app-emergency__title'
    h.textContent = `Emergency at ${a.desk}`
    const p = document.createElement('p')
    p.className = 'app-emergency__text'
    p.textContent = `Raised just now${a.number ? ` while serving ${a.number}` : ''}. Go and help now.${a.message ? ` Message: “${a.message}”` : ''}`
    div.append(h, p)
    region.prepend(div)
  }
}

wireAlerts()

if (root && 'EventSource' in window && window.fetch && window.DOMParser) {
  const kinds = ['arrived', 'called', 'recalled', 'started', 'finished', 'no_show', 'transferred', 'delayed', 'offered',
    'offer_accepted', 'offer_declined', 'emergency', 'resync']
  let timer = null
  let busy = false
  let again = false

  const reload = async () => {
    if (busy) { again = true; return }
    busy = true
    try {
      const res = await fetch(root.dataset.liveUrl, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      if (!res.ok || res.redirected) {
        if (status) status.textContent = 'Live updates stopped: refresh the page.'
        return
      }
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html')
      for (const el of document.querySelectorAll('[data-live][id]')) {
        const fresh = doc.getElementById(el.id)
        if (!fresh || fresh.innerHTML === el.innerHTML) continue
        const active = document.activeElement
        const focusId = active && el.contains(active) ? active.id : ''
        el.replaceWith(document.importNode(fresh, true))
        if (focusId) {
          const again = document.getElementById(focusId)
          if (again) again.focus()
        }
      }
      const freshStatus = doc.getElementById('live-status')
      if (status && freshStatus) status.textContent = freshStatus.textContent
      showLiveAlerts()
      wireAlerts()
    } catch {
      if (status) status.textContent = 'Live updates paused: trying again.'
    } finally {
      busy = false
      if (again) { again = false; schedule() }
    }
  }

  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(reload, 150)
  }

  const stream = new EventSource(root.dataset.liveStream)
  for (const kind of kinds) stream.addEventListener(kind, schedule)
  stream.addEventListener('emergency', (e) => {
    if (e.lastEventId && e.lastEventId !== '0') return // logged: the page shows it when fetched again
    try {
      const d = JSON.parse(e.data)
      if (d.stale) return
      liveAlerts.push({ key: `${d.desk_id}-${d.at}`, desk: d.desk, number: d.number, message: d.message })
      showLiveAlerts()
    } catch {}
  })
  stream.addEventListener('open', () => { document.documentElement.dataset.live = 'on' })
  stream.addEventListener('error', () => { document.documentElement.dataset.live = 'reconnecting' })
}
