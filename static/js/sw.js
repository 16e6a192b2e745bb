/* fieldcheck service worker: the inspector's pages open with no network. Served by
 * fieldcheck/reports/views.py, which prepends self.FC = {version, shell, scope, session, static, queue}.
 *
 * Rules:
 * - Only GET requests are handled. POSTs are never intercepted (WebKit sends them with empty bodies
 *   when a service worker does): reports are sent by the page, or by this worker's own fetch on a
 *   Background Sync event, never through respondWith.
 * - The capture page (the shell) is served from the cache at once and revalidated in the background
 *   with If-None-Match; an unchanged page costs a 304. When it did change, open pages are told, and
 *   reload if nothing has been typed yet.
 * - Other pages under the scope: network first, the cached copy when the network fails or hangs. The
 *   pages in FC.pages (My reports) are kept at install too, so that they open offline even if they were
 *   never opened online; a kept copy never keeps a flashed message ("Report filed") for later.
 * - The static files of the shell: from the cache (a new version of any of them is a new worker).
 */
'use strict';
importScripts(self.FC.queue);

var CACHE = 'fieldcheck-' + self.FC.version;
var SHELL = self.FC.shell;
var NETWORK_WAIT_MS = 4000;
self.FCQ.config.session = self.FC.session;

function fetchShell(etag) {
  var headers = etag ? { 'If-None-Match': etag } : {};
  return fetch(SHELL, { headers: headers, cache: 'no-store', credentials: 'same-origin' });
}

// A shell is kept only when it is the capture page itself (not the login page a lapsed session redirects to).
function keepable(response) {
  return response.status === 200 && !response.redirected && new URL(response.url).pathname === SHELL;
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // The default cache mode: files the page just loaded are revalidated (304), not downloaded twice.
    return cache.addAll(self.FC.static).then(function () {
      return Promise.all([
        fetchShell().then(function (r) { if (keepable(r)) return cache.put(SHELL, r); }, function () {}),
      ].concat((self.FC.pages || []).map(function (path) {
        return fetch(path, { cache: 'no-store', credentials: 'same-origin' }).then(function (r) {
          if (r.status === 200 && !r.redirected && new URL(r.url).pathname === path) {
            return withoutFlash(r).then(function (copy) { return cache.put(path, copy); });
          }
        }, function () {});
      })));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.map(function (key) {
      if (key.indexOf('fieldcheck-') === 0 && key !== CACHE) {
        // Carry the pages over: a new version must not lose the offline shell while offline.
        return caches.open(key).then(function (old) {
          return old.keys().then(function (reqs) {
            return Promise.all(reqs.map(function (req) {
              if (new URL(req.url).pathname.indexOf('/static/') >= 0) return null;
              return old.match(req).then(function (r) {
                return caches.open(CACHE).then(function (c) {
                  return c.match(req).then(function (have) { return have || c.put(req, r); });
                });
              });
            }));
          });
        }).then(function () { return caches.delete(key); });
      }
      return null;
    }));
  }).then(function () { return self.clients.claim(); }));
});

function revalidate(cached) {
  return fetchShell(cached.headers.get('ETag')).then(function (response) {
    if (!keepable(response)) return;   // 304, a redirect to the login page, or an error: keep ours
    var changed = response.headers.get('ETag') !== cached.headers.get('ETag');
    return caches.open(CACHE).then(function (cache) { return cache.put(SHELL, response); }).then(function () {
      if (!changed) return;
      return self.clients.matchAll({ type: 'window' }).then(function (list) {
        list.forEach(function (client) { client.postMessage({ type: 'shell-updated' }); });
      });
    });
  }).catch(function () {});
}

function shell(event) {
  return caches.match(SHELL).then(function (cached) {
    if (cached) {
      event.waitUntil(revalidate(cached));
      return cached;
    }
    return fetch(event.request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(SHELL, copy); }));
      }
      return response;
    });
  });
}

// A page as kept for later: without the one-time messages it carried (<p class="flash">).
function withoutFlash(response) {
  return response.text().then(function (text) {
    return new Response(text.replace(/<p class="flash">[\s\S]*?<\/p>/g, ''), {
      status: response.status, statusText: response.statusText, headers: response.headers,
    });
  });
}

// Network first with a time limit (a weak signal must not hang the page), then the cached copy.
function page(event) {
  var request = event.request;
  var network = fetch(request).then(function (response) {
    if (response.status === 200 && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(withoutFlash(copy).then(function (kept) {
        return caches.open(CACHE).then(function (cache) { return cache.put(request, kept); });
      }));
    }
    return response;
  });
  var timer;
  var late = new Promise(function (resolve) { timer = setTimeout(resolve, NETWORK_WAIT_MS); });
  var fallback = function () {
    return caches.match(request, { ignoreSearch: true }).then(function (cached) { return cached || caches.match(SHELL); });
  };
  return Promise.race([network.catch(function () { return null; }), late]).then(function (response) {
    clearTimeout(timer);
    if (response) return response;
    return fallback().then(function (cached) { return cached || network; });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (url.pathname === SHELL) event.respondWith(shell(event));
    else if (url.pathname.indexOf(self.FC.scope + '/') === 0) event.respondWith(page(event));
    return;
  }
  if (self.FC.static.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then(function (cached) {
      return cached || fetch(request);
    }));
  }
});

// Background Sync: send the queue even when no page is open (where the browser supports it).
self.addEventListener('sync', function (event) {
  if (event.tag !== self.FCQ.SYNC_TAG) return;
  event.waitUntil(self.FCQ.drain(true).then(function (result) {
    if (result === 'retry') throw new Error('queue not sent yet');   // the browser retries later
  }));
});
