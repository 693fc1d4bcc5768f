// The lobby screen's live side: follows the site's event stream, shows each
// call large, plays a chime and speaks it ("Ticket H 0 1 2, please go to
// Desk 3"), keeps a clock in the site's zone, and reconnects by itself.
//
// Settings come from the page's query string, read by the server:
//   ?voice=NAME  a voice whose name contains NAME (default: the first en-GB voice)
//   ?rate=0.9    speaking rate, 0.5 to 2
//   ?lang=en-GB  the language spoken
//   ?mute=1      text only: no chime, no speech
// Kiosk browsers need to allow sound without a tap, e.g. Chromium with
// --autoplay-policy=no-user-gesture-required; otherwise a "Turn on sound"
// button appears.
//
// Tests (and integrations) may set window.frontdoorAnnounce = function (text)
// {...}: it receives each announcement's text before it is spoken. Every
// text is also kept in window.frontdoorAnnouncements.
(function () {
  'use strict';

  var body = document.body;
  var cfg = body.dataset;
  var MAX_CALLS = 6;
  var lang = cfg.lang || 'en-GB';
  var rate = parseFloat(cfg.rate) || 0.9;
  var mute = cfg.mute === '1';
  var zone = cfg.zone || undefined;

  var currentEl = document.getElementById('lobby-current');
  var previousEl = document.getElementById('lobby-previous');
  var figuresEl = document.getElementById('lobby-figures');
  var statusEl = document.getElementById('lobby-status');
  var clockEl = document.getElementById('lobby-clock');
  var dateEl = document.getElementById('lobby-date');
  var soundEl = document.getElementById('lobby-sound');

  window.frontdoorAnnouncements = window.frontdoorAnnouncements || [];

  // ---- time in the site's zone ----
  // The screen keeps the service's time, not the TV's: a TV's own clock is
  // often wrong, and a training centre runs on a clock of its own.
  var skew = Number(cfg.now) ? Number(cfg.now) - Date.now() : 0;
  function formatter(opts) {
    try {
      return new Intl.DateTimeFormat('en-GB', Object.assign({ timeZone: zone }, opts));
    } catch (e) { // an unknown zone: the browser's own
      return new Intl.DateTimeFormat('en-GB', opts);
    }
  }
  var timeFmt = formatter({ hour: '2-digit', minute: '2-digit', hour12: false });
  var dateFmt = formatter({ weekday: 'long', day: 'numeric', month: 'long' });
  var today = null;

  function tick() {
    var now = new Date(Date.now() + skew);
    clockEl.textContent = timeFmt.format(now);
    var date = dateFmt.format(now);
    if (today !== null && date !== today && calls.length) {
      // Midnight in the site's zone: yesterday's calls leave the screen
      // (a screen runs for weeks without a reload).
      calls = [];
      seen = {};
      render(false);
    }
    today = date;
    dateEl.textContent = date;
  }

  function callTime(at) {
    var d = new Date(at);
    return isNaN(d) ? '' : timeFmt.format(d);
  }

  // ---- the calls on screen, newest first ----
  function fromElement(el) {
    var d = el.dataset;
    return { id: Number(d.id), kind: d.kind, ticket: d.ticket, number: d.number, desk: d.desk, at: d.at };
  }
  var calls = [];
  var first = currentEl.querySelector('[data-number]');
  if (first) calls.push(fromElement(first));
  Array.prototype.forEach.call(previousEl.querySelectorAll('[data-number]'), function (li) {
    calls.push(fromElement(li));
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(fresh) {
    var c = calls[0];
    currentEl.textContent = '';
    currentEl.classList.toggle('lobby__current--idle', !c);
    if (c) {
      var num = el('p', 'lobby__number');
      num.appendChild(el('span', 'lobby__visually-hidden', 'Ticket '));
      num.appendChild(document.createTextNode(c.number));
      num.dataset.id = c.id;
      num.dataset.number = c.number;
      var desk = el('p', 'lobby__desk', 'Please go to ');
      desk.appendChild(el('strong', '', c.desk));
      currentEl.appendChild(num);
      currentEl.appendChild(desk);
      if (fresh) {
        currentEl.classList.remove('lobby__current--fresh');
        void currentEl.offsetWidth; // restart the animation
        currentEl.classList.add('lobby__current--fresh');
      }
    } else {
      currentEl.appendChild(el('p', 'lobby__idle', 'Please wait to be called'));
    }
    previousEl.textContent = '';
    calls.slice(1).forEach(function (p) {
      var li = el('li', 'lobby__call');
      li.dataset.id = p.id;
      li.dataset.number = p.number;
      li.appendChild(el('span', 'lobby__call-number', p.number));
      li.appendChild(el('span', 'lobby__call-desk', p.desk));
      li.appendChild(el('span', 'lobby__call-time', callTime(p.at)));
      previousEl.appendChild(li);
    });
    var none = document.getElementById('lobby-previous-none');
    if (none) none.hidden = calls.length > 1;
  }

  function addCall(c) {
    calls = calls.filter(function (x) { return x.ticket !== c.ticket; });
    calls.unshift(c);
    calls.length = Math.min(calls.length, MAX_CALLS);
  }

  function renderFigures(services) {
    figuresEl.textContent = '';
    (services || []).forEach(function (f) {
      var li = el('li', 'lobby__figure');
      li.appendChild(el('span', 'lobby__figure-name', f.name));
      li.appendChild(el('span', 'lobby__figure-count', f.waiting + ' waiting, ' + f.wait_text));
      figuresEl.appendChild(li);
    });
  }

  // ---- sound: a chime, then the spoken call ----
  var synth = 'speechSynthesis' in window ? window.speechSynthesis : null;
  var AudioCtx = window.AudioContext || window.webkitAudioContext;
  var audio = null;

  function audioContext() {
    if (!AudioCtx || mute) return null;
    try {
      if (!audio) audio = new AudioCtx();
      if (audio.state === 'suspended') {
        audio.resume().catch(function () {});
      }
    } catch (e) {
      audio = null;
    }
    return audio;
  }

  function soundBlocked() {
    soundEl.hidden = mute || !audio || audio.state !== 'suspended';
  }
  // A browser that has not been allowed to play sound without a tap starts
  // its audio suspended: show the button now, for whoever sets the screen up.
  if (audioContext()) {
    soundBlocked();
    try { audio.addEventListener('statechange', soundBlocked); } catch (e) { /* old browsers */ }
  }

  soundEl.addEventListener('click', function () {
    var a = audioContext();
    if (a) a.resume().then(soundBlocked, soundBlocked);
    if (synth) {
      try { synth.resume(); } catch (e) { /* nothing to do */ }
    }
  });

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function chime() {
    var a = audioContext();
    soundBlocked();
    if (!a) return Promise.resolve();
    try {
      var t = a.currentTime + 0.05;
      [[784, 0], [587, 0.5]].forEach(function (n) { // G5 then D5: "ding dong"
        var o = a.createOscillator();
        var g = a.createGain();
        o.type = 'sine';
        o.frequency.value = n[0];
        g.gain.setValueAtTime(0.0001, t + n[1]);
        g.gain.exponentialRampToValueAtTime(0.5, t + n[1] + 0.03);
        g.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + 0.9);
        o.connect(g);
        g.connect(a.destination);
        o.start(t + n[1]);
        o.stop(t + n[1] + 1);
      });
    } catch (e) {
      return Promise.resolve();
    }
    return wait(1400);
  }

  var voice = null;
  function pickVoice() {
    if (!synth) return;
    var voices = [];
    try { voices = synth.getVoices() || []; } catch (e) { return; }
    var want = (cfg.voice || '').toLowerCase();
    var base = lang.toLowerCase().split('-')[0];
    voice = (want && voices.filter(function (v) { return v.name.toLowerCase().indexOf(want) >= 0; })[0]) ||
      voices.filter(function (v) { return v.lang && v.lang.toLowerCase().replace('_', '-') === lang.toLowerCase(); })[0] ||
      voices.filter(function (v) { return v.lang && v.lang.toLowerCase().indexOf(base) === 0; })[0] || null;
  }
  if (synth) {
    pickVoice();
    try { synth.addEventListener('voiceschanged', pickVoice); } catch (e) { /* old browsers */ }
  }

  function speak(text) {
    if (!synth || typeof SpeechSynthesisUtterance === 'undefined') return Promise.resolve();
    return new Promise(function (resolve) {
      try {
        var u = new SpeechSynthesisUtterance(text);
        u.lang = lang;
        u.rate = rate;
        if (voice) u.voice = voice;
        u.onend = resolve;
        u.onerror = resolve;
        synth.speak(u);
        setTimeout(resolve, 12000); // a voice that never ends must not stall the queue
      } catch (e) {
        resolve();
      }
    });
  }

  // "H012" is read out character by character: "H 0 1 2".
  function spell(number) {
    return String(number).replace(/\s+/g, '').split('').join(' ');
  }

  function announcementText(c) {
    return 'Ticket ' + spell(c.number) + ', please go to ' + c.desk;
  }

  var queue = Promise.resolve();
  function announce(c) {
    var text = announcementText(c);
    window.frontdoorAnnouncements.push(text);
    if (window.frontdoorAnnouncements.length > 50) window.frontdoorAnnouncements.shift();
    if (typeof window.frontdoorAnnounce === 'function') {
      try { window.frontdoorAnnounce(text); } catch (e) { /* a hook's fault is not ours */ }
    }
    if (mute) return;
    queue = queue.then(chime).then(function () { return speak(text); }).catch(function () {});
  }

  // ---- the stream ----
  var lastId = cfg.lastEventId && cfg.lastEventId !== '0' ? cfg.lastEventId : '';
  var seen = {};
  var source = null;
  var retry = null;
  var backoff = 1000;
  var quietTimer = null;

  function setState(state) {
    body.dataset.state = state;
    if (state === 'live') {
      clearTimeout(quietTimer);
      quietTimer = null;
      statusEl.textContent = '';
    } else if (!quietTimer && !statusEl.textContent) {
      // A quiet mark, and only when the break lasts: a blip shows nothing.
      quietTimer = setTimeout(function () {
        quietTimer = null;
        if (body.dataset.state !== 'live') statusEl.textContent = 'Reconnecting…';
      }, 3000);
    }
  }

  function track(e) {
    if (e.lastEventId) lastId = e.lastEventId;
  }

  function parse(e) {
    track(e);
    try {
      return JSON.parse(e.data);
    } catch (err) {
      return null;
    }
  }

  function onCall(e) {
    var d = parse(e);
    if (!d || !d.number) return;
    var id = Number(e.lastEventId) || 0;
    // A replay can repeat what a page already showed: each call once.
    var key = (d.ticket || d.number) + '@' + (d.at || id);
    if (seen[key]) return;
    seen[key] = true;
    if (Object.keys(seen).length > 500) { // keep the memory of a screen that runs for weeks small
      seen = {};
      calls.forEach(function (x) { seen[x.ticket + '@' + x.at] = true; });
      seen[key] = true;
    }
    var c = { id: id, kind: e.type, ticket: d.ticket || d.number, number: d.number, desk: d.desk, at: d.at };
    addCall(c);
    render(true);
    if (!d.stale) announce(c);
  }

  function onBoard(e) {
    var d = parse(e);
    if (!d) return;
    calls = [];
    (d.calls || []).slice().reverse().forEach(function (x) {
      seen[(x.ticket || x.number) + '@' + (x.at || x.id)] = true;
      addCall({ id: x.id, kind: x.kind, ticket: x.ticket || x.number, number: x.number, desk: x.desk, at: x.at });
    });
    render(false);
  }

  function onFigures(e) {
    var d = parse(e);
    if (d) renderFigures(d.services);
  }

  function connect() {
    retry = null;
    var url = cfg.stream;
    if (lastId) url += (url.indexOf('?') < 0 ? '?' : '&') + 'last_event_id=' + encodeURIComponent(lastId);
    var es;
    try {
      es = new EventSource(url);
    } catch (err) {
      schedule();
      return;
    }
    source = es;
    es.onopen = function () {
      backoff = 1000;
      setState('live');
    };
    es.addEventListener('board', onBoard);
    es.addEventListener('called', onCall);
    es.addEventListener('recalled', onCall);
    es.addEventListener('figures', onFigures);
    es.onerror = function () {
      // Our own back-off, not EventSource's fixed retry: a restarted
      // server is not hammered by every screen at once.
      es.close();
      if (source === es) source = null;
      setState('reconnecting');
      schedule();
    };
  }

  function schedule() {
    if (retry) return;
    var delay = backoff * (0.75 + Math.random() * 0.5);
    backoff = Math.min(backoff * 2, 30000);
    retry = setTimeout(connect, delay);
  }

  calls.forEach(function (c) { seen[c.ticket + '@' + c.at] = true; });
  tick();
  setInterval(tick, 1000);
  if (!window.EventSource) {
    // No live updates: fall back to reloading the page now and then.
    setTimeout(function () { location.reload(); }, 10000);
    return;
  }
  setState('connecting');
  connect();
})();
