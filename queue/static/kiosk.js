// The kiosk: keep the scanner's input ready, scan with the camera where the
// browser can (BarcodeDetector, on HTTPS or localhost), go back to the start
// after a short idle time, and print a ticket. Without this script every
// page works with its buttons and links.

const body = document.body
const home = body.dataset.home
const form = document.querySelector('[data-scan-form]')
const input = document.getElementById('code')

if (form && input) {
  // A hand-held scanner types into whatever has the focus: keep it here.
  input.addEventListener('focus', () => input.select())
  document.addEventListener('keydown', (e) => {
    const a = document.activeElement
    if (!a || a === body || a === document.documentElement) input.focus()
  }, true)
  document.addEventListener('focusout', () => {
    setTimeout(() => {
      const a = document.activeElement
      if (!a || a === body) input.focus()
    }, 300)
  })
  // Clear what someone typed and walked away from.
  let typedAt = 0
  input.addEventListener('input', () => { typedAt = Date.now() })
  setInterval(() => {
    if (input.value && typedAt && Date.now() - typedAt > 60000) { input.value = ''; typedAt = 0 }
  }, 5000)
}

// Camera scanning.
const cameraButton = document.querySelector('[data-camera]')
const cameraView = document.querySelector('[data-camera-view]')
let stream = null

function stopCamera () {
  if (stream) stream.getTracks().forEach((t) => t.stop())
  stream = null
  if (cameraView) cameraView.hidden = true
  if (cameraButton) cameraButton.hidden = false
}

async function startCamera () {
  const video = cameraView.querySelector('video')
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false })
  } catch {
    stream = null
    return
  }
  video.srcObject = stream
  await video.play()
  cameraView.hidden = false
  cameraButton.hidden = true
  const detector = new window.BarcodeDetector({ formats: ['qr_code'] })
  const tick = async () => {
    if (!stream) return
    try {
      const codes = await detector.detect(video)
      if (codes.length > 0 && codes[0].rawValue) {
        stopCamera()
        input.value = codes[0].rawValue
        form.requestSubmit()
        return
      }
    } catch {}
    setTimeout(tick, 250)
  }
  tick()
}

if (cameraButton && cameraView && input && 'BarcodeDetector' in window && window.isSecureContext &&
    navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  window.BarcodeDetector.getSupportedFormats().then((formats) => {
    if (formats.includes('qr_code')) cameraButton.hidden = false
  }).catch(() => {})
  cameraButton.addEventListener('click', startCamera)
  cameraView.querySelector('[data-camera-stop]').addEventListener('click', () => { stopCamera(); input.focus() })
}

// Back to the start after a while untouched, with a warning first; any
// touch or key starts the time again.
const idle = parseInt(body.dataset.idleSeconds || '0', 10)
const notice = document.querySelector('[data-idle-notice]')
if (idle > 0 && home) {
  let left = idle
  const reset = () => {
    left = idle
    if (notice) { notice.hidden = true; notice.textContent = '' }
  }
  for (const type of ['pointerdown', 'keydown', 'input', 'touchstart', 'wheel']) {
    window.addEventListener(type, reset, { passive: true, capture: true })
  }
  setInterval(() => {
    left--
    if (notice && (left === 15 || left === 10 || left === 5)) {
      notice.hidden = false
      notice.textContent = `This screen goes back to the start in ${left} seconds. Touch the screen to stay.`
    }
    if (left <= 0) window.location.assign(home)
  }, 1000)
}

// Printing a ticket.
const printButton = document.querySelector('[data-print]')
if (printButton) {
  printButton.hidden = false
  printButton.addEventListener('click', () => window.print())
}
