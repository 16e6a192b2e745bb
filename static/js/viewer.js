/* fieldcheck photo viewer: tap a photo to see it large; wheel or pinch to zoom, drag to pan; swipe or
 * arrow keys between the photos of the same report; "before/after" shows the two side by side at
 * display size; Escape, the close button or the browser's Back close it and return focus to the page.
 *
 * Loaded only on pages with photos (templates/workflow/_viewer.html); its words come from the data-*
 * attributes of #viewer-strings (translated by the server). No inline script or style: positions are
 * set through the CSSOM (element.style), which the Content-Security-Policy allows.
 */
(function () {
  'use strict';
  var MIN = 1, MAX = 5, SWIPE_PX = 50;
  var words = (document.getElementById('viewer-strings') || {}).dataset || {};
  var box = null, stage = null, counter = null, compareButton = null;
  var group = [], index = 0, opener = null, pushed = false;
  var scale = 1, x = 0, y = 0, pointers = {}, start = null, pinch = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function button(cls, label, onClick) {
    var b = el('button', cls, label);
    b.type = 'button';
    b.addEventListener('click', function (ev) { ev.stopPropagation(); onClick(); });
    return b;
  }

  function build() {
    box = el('div', 'viewer');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-label', words.title || 'Photo');
    box.hidden = true;
    var bar = el('div', 'viewer-bar');
    counter = el('span', 'viewer-count');
    compareButton = button('viewer-compare', words.compare || 'Before / after', toggleCompare);
    bar.append(counter, compareButton,
      button('viewer-prev', words.prev || '‹', function () { go(-1); }),
      button('viewer-next', words.next || '›', function () { go(1); }),
      button('viewer-close', words.close || '×', close));
    stage = el('div', 'viewer-stage');
    box.append(bar, stage);
    document.body.appendChild(box);
    stage.addEventListener('wheel', onWheel, { passive: false });
    stage.addEventListener('pointerdown', onDown);
    stage.addEventListener('pointermove', onMove);
    stage.addEventListener('pointerup', onUp);
    stage.addEventListener('pointercancel', onUp);
    stage.addEventListener('dblclick', function () { zoomTo(scale > 1 ? 1 : 2); });
    document.addEventListener('keydown', onKey);
    window.addEventListener('popstate', function () { if (!box.hidden) { pushed = false; close(); } });
  }

  // The photos shown together: the report's before and after sets (or one timeline grid).
  function groupOf(link) {
    var scope = link.closest('.before-after') || link.closest('.photo-grid');
    return Array.prototype.slice.call(scope.querySelectorAll('.photo-grid a'));
  }

  // In a before/after block: [the first before-photo, the first after-photo], when both exist.
  function pairOf(link) {
    var scope = link.closest('.before-after');
    if (!scope) return null;
    var sets = scope.querySelectorAll('.photo-set');
    if (sets.length < 2) return null;
    var before = sets[0].querySelector('.photo-grid a'), after = sets[1].querySelector('.photo-grid a');
    return before && after ? [before, after] : null;
  }

  function image(link) {
    var img = el('img', 'viewer-img');
    img.src = link.href;
    img.alt = (link.querySelector('img') || {}).alt || '';
    img.draggable = false;
    return img;
  }

  function show(i) {
    index = (i + group.length) % group.length;
    stage.classList.remove('comparing');
    stage.replaceChildren(image(group[index]));
    counter.textContent = (index + 1) + ' / ' + group.length;
    compareButton.hidden = !pairOf(group[index]);
    box.dataset.index = String(index);
    reset();
  }

  function toggleCompare() {
    if (stage.classList.contains('comparing')) { show(index); return; }
    var pair = pairOf(group[index]);
    if (!pair) return;
    stage.replaceChildren(image(pair[0]), image(pair[1]));
    stage.classList.add('comparing');
    reset();
  }

  function go(step) { if (group.length > 1) show(index + step); }

  function open(link) {
    if (!box) build();
    opener = link;
    group = groupOf(link);
    box.hidden = false;
    document.documentElement.classList.add('viewer-open');
    show(group.indexOf(link));
    if (!pushed) { history.pushState({ viewer: true }, ''); pushed = true; }
    box.querySelector('.viewer-close').focus();
  }

  function close() {
    if (!box || box.hidden) return;
    box.hidden = true;
    document.documentElement.classList.remove('viewer-open');
    stage.replaceChildren();
    if (pushed) { pushed = false; history.back(); }
    if (opener) opener.focus();
  }

  function apply() {
    stage.querySelectorAll('.viewer-img').forEach(function (img) {
      img.style.transform = 'translate(' + x + 'px,' + y + 'px) scale(' + scale + ')';
    });
    box.dataset.scale = scale.toFixed(2);
  }

  function reset() { scale = 1; x = 0; y = 0; apply(); }

  function zoomTo(s) {
    scale = Math.min(MAX, Math.max(MIN, s));
    if (scale === 1) { x = 0; y = 0; }
    apply();
  }

  function onWheel(ev) {
    ev.preventDefault();
    zoomTo(scale * (ev.deltaY < 0 ? 1.2 : 1 / 1.2));
  }

  function distance() {
    var p = Object.keys(pointers).map(function (k) { return pointers[k]; });
    return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y);
  }

  function onDown(ev) {
    try { stage.setPointerCapture(ev.pointerId); } catch (e) { /* a pointer already gone */ }
    pointers[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
    var n = Object.keys(pointers).length;
    if (n === 1) start = { x: ev.clientX, y: ev.clientY, ox: x, oy: y };
    if (n === 2) { pinch = { d: distance(), s: scale }; start = null; }
  }

  function onMove(ev) {
    if (!pointers[ev.pointerId]) return;
    pointers[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
    if (pinch && Object.keys(pointers).length === 2) {
      zoomTo(pinch.s * distance() / Math.max(pinch.d, 1));
    } else if (start && scale > 1) {
      x = start.ox + ev.clientX - start.x;
      y = start.oy + ev.clientY - start.y;
      apply();
    }
  }

  function onUp(ev) {
    var p = pointers[ev.pointerId];
    delete pointers[ev.pointerId];
    if (Object.keys(pointers).length < 2) pinch = null;
    if (start && p && scale === 1 && !stage.classList.contains('comparing')) {
      var dx = p.x - start.x;
      if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(p.y - start.y)) go(dx < 0 ? 1 : -1);
    }
    if (!Object.keys(pointers).length) start = null;
  }

  function onKey(ev) {
    if (!box || box.hidden) return;
    if (ev.key === 'Escape') close();
    else if (ev.key === 'ArrowRight') go(1);
    else if (ev.key === 'ArrowLeft') go(-1);
    else if (ev.key === '+' || ev.key === '=') zoomTo(scale * 1.5);
    else if (ev.key === '-') zoomTo(scale / 1.5);
  }

  document.addEventListener('click', function (ev) {
    var link = ev.target.closest && ev.target.closest('.photo-grid a');
    if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    open(link);
  });
})();
