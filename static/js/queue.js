/* fieldcheck offline queue: every report is kept on the phone (IndexedDB) until the server has it.
 *
 * Runs in the inspector's pages and in the service worker (static/js/sw.js imports it). A queued item:
 *   {client_id, kind: 'report'|'visit', url, user, created (ms), label, fields: {...form fields},
 *    photos: [{name, type, blob}], state: 'waiting'|'sending'|'failed'|'login', error, tries}
 * Rules:
 * - The client_id is made when the form opens, so every resend is the same report; the server answers
 *   201 (filed) or 200 (already filed) and only then is the item removed: a report is replaced by a small
 *   'sent' record (no photos) so its card can say where it went: {client_id, state: 'sent', sent_at,
 *   report: {id, community, due_at}}, dropped after SENT_KEEP_MS. all() leaves those out; sent() has them.
 * - 409 and other 4xx keep the item as 'failed' with the server's message, to fix or discard.
 * - 401 (or a refused CSRF token twice) means the session ended: items stay, marked 'login', until the
 *   inspector logs in again. No connection, 5xx or 429: a doubling back-off, capped (BACKOFF_MAX_MS).
 * - One item at a time, oldest first, one sender per browser (Web Locks where available).
 * - A connection the browser closed (iOS under memory pressure) is reopened on the next use.
 */
(function (self) {
  'use strict';
  var DB_NAME = 'fieldcheck', STORE = 'queue', SYNC_TAG = 'fieldcheck-queue';
  var BACKOFF_MS = 2000, BACKOFF_MAX_MS = 240000, TICK_MS = 30000, SENT_KEEP_MS = 12 * 3600000, SENT_KEEP = 20;
  var config = { session: '/inspector/session.json' };
  var dbp = null, delay = 0, nextAt = 0, timer = null, draining = null, again = false, listeners = [];
  var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(SYNC_TAG) : null;

  function open() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'client_id' }); };
        req.onsuccess = function () {
          var db = req.result;
          db.onclose = function () { dbp = null; };            // closed by the browser: reopen next time
          db.onversionchange = function () { db.close(); dbp = null; };
          resolve(db);
        };
        req.onerror = function () { dbp = null; reject(req.error); };
      });
    }
    return dbp;
  }

  // One transaction; on a connection that was closed under us, reopen once and try again.
  function tx(mode, fn, retried) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), result;
        var req = fn(t.objectStore(STORE));
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error || new Error('transaction aborted')); };
      });
    }).catch(function (err) {
      if (!retried && err && err.name === 'InvalidStateError') { dbp = null; return tx(mode, fn, true); }
      throw err;
    });
  }

  function stored() {
    return tx('readonly', function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function all() {
    return stored().then(function (items) { return items.filter(function (i) { return i.state !== 'sent'; }); });
  }
  function sent() {
    return stored().then(function (items) { return items.filter(function (i) { return i.state === 'sent'; }); });
  }
  function get(id) { return tx('readonly', function (s) { return s.get(id); }); }
  function put(item) { return tx('readwrite', function (s) { return s.put(item); }).then(changed); }
  function del(id) { return tx('readwrite', function (s) { return s.delete(id); }).then(changed); }

  // Resolves once this page shows the change (the badge's count, data-queued): a report is said to be kept
  // only when the count has it, so "0 queued" after "kept" always means delivered. A listener's failure is
  // the display's, never the store's.
  function changed() {
    if (channel) channel.postMessage('changed');
    return Promise.all(listeners.map(function (fn) { return Promise.resolve().then(fn).catch(function () {}); }));
  }

  // Keep a report: first here, then send. Resolves once it is stored (before it is sent).
  function add(item) {
    item.state = 'waiting';
    item.error = '';
    item.tries = 0;
    return put(item).catch(function (err) {
      if (err && err.name === 'DataCloneError') {   // old WebKit: no Blobs in IndexedDB, keep the bytes
        return Promise.all(item.photos.map(function (p) { return p.blob.arrayBuffer(); })).then(function (bufs) {
          bufs.forEach(function (buf, i) { item.photos[i].blob = buf; });
          return put(item);
        });
      }
      throw err;
    }).then(function () {
      wake();
      if (self.registration && self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(function () {});
      else if (self.navigator && navigator.serviceWorker && navigator.serviceWorker.ready && 'SyncManager' in self) {
        navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register(SYNC_TAG); }).catch(function () {});
      }
    });
  }

  function blobOf(photo) {
    return photo.blob instanceof Blob ? photo.blob : new Blob([photo.blob], { type: photo.type });
  }

  function session() {
    return fetch(config.session, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) return null;
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      });
  }

  function post(item, token) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (name) {
      var v = item.fields[name];
      if (v !== null && v !== undefined && v !== '') body.append(name, v);
    });
    item.photos.forEach(function (p) { body.append('photos', blobOf(p), p.name); });
    return fetch(item.url, {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-CSRFToken': token, Accept: 'application/json' },
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) { return { status: r.status, json: json }; });
    });
  }

  function message(res) {
    return (res.json && res.json.error && res.json.error.message) || ('HTTP ' + res.status);
  }

  // The server has it: a report's card keeps where it was dispatched and its deadline (the 201 answer).
  function delivered(item, json) {
    if (item.kind !== 'report' || !json || !json.id) return del(item.client_id);
    return put({
      client_id: item.client_id, kind: item.kind, user: item.user, created: item.created, label: item.label,
      state: 'sent', sent_at: Date.now(), photos: [], fields: {},
      report: { id: json.id, community: json.community ? json.community.name : null, due_at: json.due_at || null },
    });
  }

  // Send one item. Resolves 'sent', 'failed' (kept for the inspector), 'login' or 'retry'.
  function sendOne(item, sess) {
    item.state = 'sending';
    return put(item).then(function () { return post(item, sess.csrf_token); }).then(function (res) {
      if (res.status === 400 && res.json.error && res.json.error.code === 'csrf' && !sess.renewed) {
        return session().then(function (fresh) {
          if (!fresh) return res;
          sess.csrf_token = fresh.csrf_token;
          sess.renewed = true;
          return post(item, sess.csrf_token);
        });
      }
      return res;
    }).then(function (res) {
      if (res.status === 201 || res.status === 200) return delivered(item, res.json).then(function () { return 'sent'; });
      item.tries += 1;
      item.status = res.status;
      if (res.status === 401 || (res.status === 400 && res.json.error && res.json.error.code === 'csrf')) {
        item.state = 'login';
        item.error = message(res);
        return put(item).then(function () { return 'login'; });
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
        item.state = 'failed';
        item.error = message(res);
        return put(item).then(function () { return 'failed'; });
      }
      item.state = 'waiting';
      item.error = message(res);
      return put(item).then(function () { return 'retry'; });
    }, function () {
      item.tries += 1;
      item.state = 'waiting';
      item.error = 'offline';
      return put(item).then(function () { return 'retry'; });
    });
  }

  // Send every waiting item of the logged-in inspector, oldest first, one at a time.
  function run() {
    return all().then(function (items) {
      var pending = items.filter(function (i) { return i.state !== 'failed'; });
      if (!pending.length) return 'done';
      return session().then(function (sess) {
        if (!sess) {
          return Promise.all(pending.map(function (i) { i.state = 'login'; return put(i); })).then(function () { return 'login'; });
        }
        var mine = pending.filter(function (i) { return i.user === sess.user; });
        var next = function (k) {
          if (k >= mine.length) return 'done';
          return get(mine[k].client_id).then(function (item) {
            if (!item || item.state === 'failed') return next(k + 1);
            return sendOne(item, sess).then(function (result) {
              return result === 'sent' || result === 'failed' ? next(k + 1) : result;
            });
          });
        };
        return next(0);
      }, function () { return 'retry'; });
    });
  }

  // Drain the queue unless in back-off (force: the online event, "send now", page load, Background Sync).
  function drain(force) {
    if (draining) {
      again = again || force;   // an item added meanwhile is not in the running pass: one more pass after it
      return draining;
    }
    if (!force && Date.now() < nextAt) return Promise.resolve('wait');
    var locked = self.navigator && navigator.locks
      ? navigator.locks.request(SYNC_TAG, { ifAvailable: true }, function (lock) { return lock ? run() : 'busy'; })
      : run();
    draining = Promise.resolve(locked).then(function (result) {
      draining = null;
      if (result === 'retry' || result === 'login') {
        delay = delay ? Math.min(delay * 2, BACKOFF_MAX_MS) : BACKOFF_MS;
        nextAt = Date.now() + delay;
        schedule(delay);
      } else if (result !== 'busy') {
        delay = 0;
        nextAt = 0;
      }
      changed();
      if (again && result === 'done') {
        again = false;
        return drain(true);
      }
      again = false;
      return result;
    }, function (err) {
      draining = null;
      throw err;
    });
    return draining;
  }

  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; drain(false); }, ms);
  }

  function wake() {
    delay = 0;
    nextAt = 0;
    return drain(true);
  }

  self.FCQ = {
    config: config, SYNC_TAG: SYNC_TAG, all: all, sent: sent, get: get, put: put, del: del, add: add, drain: drain,
    wake: wake, blobOf: blobOf,
    onchange: function (fn) { listeners.push(fn); },
    // For tests and the worst case: close the connection as a browser under memory pressure would.
    _close: function () { return open().then(function (db) { db.close(); }); },
  };
  if (channel) channel.onmessage = function () { listeners.forEach(function (fn) { fn(); }); };

  if (!self.document) return;

  /* ---- Pages: the count in the header, the list (where the page has one), storage and the worker. */
  var badge = document.getElementById('qcount');
  if (!badge || !self.indexedDB) return;
  var user = +badge.getAttribute('data-user');
  config.session = badge.getAttribute('data-session');
  var box = document.getElementById('queue');
  var T = box ? JSON.parse(document.getElementById('queue-text').textContent) : {};
  var urls = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function pad(n) { return ('0' + n).slice(-2); }
  function hhmm(time) { return pad(time.getHours()) + ':' + pad(time.getMinutes()); }

  // A sent report's card: "已派发至 X社区 · 截止 11-23 10:00" (the phone's local time, as the other cards).
  function sentCard(item) {
    var li = el('li', 'qitem q-sent');
    li.setAttribute('data-id', item.client_id);
    li.appendChild(el('span', 'noimg'));
    var div = el('div'), r = item.report, text = T.unassigned;
    if (r.community) {
      var due = r.due_at ? new Date(r.due_at) : null;
      text = (due ? T.dispatched_due : T.dispatched).replace('{community}', r.community)
        .replace('{due}', due ? pad(due.getMonth() + 1) + '-' + pad(due.getDate()) + ' ' + hhmm(due) : '');
    }
    div.appendChild(el('strong', '', item.label));
    div.appendChild(el('br'));
    div.appendChild(el('small', 'muted', hhmm(new Date(item.created)) + ' · '));
    div.appendChild(el('small', 'qstate', text));
    li.appendChild(div);
    return li;
  }

  // Sent cards are kept a while (the newest SENT_KEEP, for SENT_KEEP_MS), then forgotten.
  function keptSent() {
    return box ? sent().then(function (done) {
      var now = Date.now(), keep = [];
      done.reverse().forEach(function (i, k) {
        if (k >= SENT_KEEP || now - i.sent_at >= SENT_KEEP_MS) del(i.client_id);
        else if (i.user === user) keep.push(i);   // another inspector's sent cards are not shown
      });
      return keep;
    }) : Promise.resolve([]);
  }

  function render() {
    return Promise.all([all(), keptSent()]).then(function (both) {
      var items = both[0], done = both[1];
      var failed = items.some(function (i) { return i.state === 'failed'; });
      badge.hidden = !items.length;
      badge.firstChild.textContent = items.length;
      badge.classList.toggle('bad', failed);
      badge.setAttribute('aria-label', badge.getAttribute('data-label').replace('{n}', items.length));
      document.documentElement.setAttribute('data-queued', items.length);
      if (!box) return;
      box.hidden = !items.length && !done.length;
      box.querySelector('.qbuttons').hidden = !items.length;
      box.querySelector('.qn').textContent = items.length;
      var login = box.querySelector('.login');
      login.hidden = !items.some(function (i) { return i.state === 'login' || (i.user && i.user !== user); });
      var list = box.querySelector('ul');
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      list.textContent = '';
      items.forEach(function (item) {
        var li = el('li', 'qitem q-' + item.state);
        li.setAttribute('data-id', item.client_id);
        if (item.photos.length) {
          var img = el('img');
          var url = URL.createObjectURL(blobOf(item.photos[0]));
          urls.push(url);
          img.src = url;
          img.alt = '';
          li.appendChild(img);
        } else {
          li.appendChild(el('span', 'noimg'));
        }
        var div = el('div');
        div.appendChild(el('strong', '', item.label));
        div.appendChild(el('br'));
        var hm = hhmm(new Date(item.created));
        var state = T[item.state] || item.state;
        if (item.state === 'waiting' && item.error) state += ' · ' + (item.error === 'offline' ? T.no_network : item.error);
        div.appendChild(el('small', 'muted', hm + ' · '));
        div.appendChild(el('small', 'qstate', state));
        if (item.state === 'failed') {
          div.appendChild(el('p', 'error qerror', item.error));
          var fix = el('a', 'button', T.fix);
          fix.href = box.getAttribute('data-capture') + '#fix=' + item.client_id;
          var drop = el('button', 'discard', T.discard);
          drop.type = 'button';
          drop.onclick = function () { if (confirm(T.confirm_discard)) del(item.client_id); };
          div.appendChild(fix);
          div.appendChild(drop);
        }
        li.appendChild(div);
        list.appendChild(li);
      });
      done.forEach(function (item) { list.appendChild(sentCard(item)); });
    });
  }

  function dataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsDataURL(blob);
    });
  }

  // The worst case (a phone that will not send, storage about to be cleared): everything in one file.
  function exportQueue() {
    return all().then(function (items) {
      return Promise.all(items.map(function (item) {
        return Promise.all(item.photos.map(function (p) { return dataUrl(blobOf(p)); })).then(function (data) {
          return {
            client_id: item.client_id, kind: item.kind, url: item.url, created: new Date(item.created).toISOString(),
            state: item.state, error: item.error, fields: item.fields,
            photos: item.photos.map(function (p, i) { return { name: p.name, type: p.type, data: data[i] }; }),
          };
        });
      }));
    }).then(function (out) {
      var file = new Blob([JSON.stringify({ fieldcheck_queue: 1, exported_at: new Date().toISOString(), items: out }, null, 1)],
        { type: 'application/json' });
      var a = el('a');
      a.href = URL.createObjectURL(file);
      a.download = 'fieldcheck-queue-' + new Date().toISOString().slice(0, 16).replace(/[:T]/g, '') + '.json';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  }

  // Ask to keep our storage; warn when the browser refused or space is short.
  function checkStorage() {
    var s = navigator.storage, warn = box && box.querySelector('.warn');
    if (!s || !warn) return;
    var notes = [];
    (s.persisted ? s.persisted() : Promise.resolve(false)).then(function (yes) {
      return yes || (s.persist ? s.persist() : false);
    }).then(function (kept) {
      if (!kept) notes.push(T.not_persistent);
      return s.estimate ? s.estimate() : null;
    }).then(function (est) {
      if (est && est.quota && est.quota - est.usage < 100 * 1024 * 1024) notes.push(T.low_space);
    }).catch(function () {}).then(function () {
      warn.textContent = notes.join(' ');
      warn.hidden = !notes.length;
    });
  }

  FCQ.onchange(render);
  FCQ.user = user;
  FCQ.render = render;
  if (box) {
    box.querySelector('.send').onclick = function () { wake(); };
    box.querySelector('.export').onclick = function () { exportQueue(); };
    checkStorage();
  }
  // Logging out forgets the kept pages (they show this inspector's name); the queue stays, marked with its owner.
  var logout = document.querySelector('header form[method=post]');
  if (logout && self.caches) {
    logout.addEventListener('submit', function (e) {
      e.preventDefault();
      caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf('fieldcheck-') === 0; }).map(function (k) {
          return caches.open(k).then(function (c) {
            return c.keys().then(function (reqs) {
              return Promise.all(reqs.map(function (r) {
                return new URL(r.url).pathname.indexOf('/static/') < 0 ? c.delete(r) : null;
              }));
            });
          });
        }));
      }).catch(function () {}).then(function () { HTMLFormElement.prototype.submit.call(logout); });
    });
  }
  // The header says when the phone is offline (the pages may come from the service worker's copies).
  var net = document.getElementById('net');
  function showNet() {
    var offline = navigator.onLine === false;
    document.documentElement.setAttribute('data-net', offline ? 'offline' : 'online');
    if (net) net.hidden = !offline;
  }
  showNet();
  window.addEventListener('offline', showNet);
  window.addEventListener('online', function () { showNet(); wake(); });
  setInterval(function () { if (navigator.onLine !== false) drain(false); }, TICK_MS);
  render();
  wake();

  var sw = navigator.serviceWorker;
  if (sw && badge.getAttribute('data-sw')) {
    sw.register(badge.getAttribute('data-sw'), { scope: badge.getAttribute('data-scope') }).catch(function () {});
    sw.ready.then(function () { return caches.match(badge.getAttribute('data-scope')); }).then(function (hit) {
      if (hit) document.documentElement.setAttribute('data-offline', 'ready');
    });
    // A newer capture page: load it, unless the inspector has started on this one.
    sw.addEventListener('message', function (e) {
      if (e.data && e.data.type === 'shell-updated' && location.pathname === badge.getAttribute('data-scope') &&
          !document.querySelector('form[data-dirty]')) location.reload();
    });
  }
})(self);
