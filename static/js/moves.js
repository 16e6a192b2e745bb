/* The workflow pages' move forms (templates/workflow/_macros.html), enhanced; each works without it.
 *
 * - A note the move requires is checked before the form leaves the page: the textarea's required refuses
 *   an empty note, and this refuses one of blanks only (the server strips it: workflow/rules.py), with the
 *   server's own message (data-blank). The review form's accept button has formnovalidate: only rejecting
 *   needs the note.
 * - The rectify form's after-photo picker shows the chosen photos as thumbnails before sending, as the
 *   capture page does (static/js/capture.js keeps its own copy: sharing a file would add a request to the
 *   capture page, which must stay light), in the same .thumbs strip; picks add up, and a photo can be
 *   taken out again where the browser lets a script set a file input's files. */
(function () {
  'use strict';
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  /* ---- Notes: blanks only are no note. */
  function checkNote(area) {
    area.setCustomValidity(area.value && !area.value.trim() ? area.getAttribute('data-blank') : '');
  }
  each(document.querySelectorAll('textarea[required][data-blank]'), function (area) {
    checkNote(area);
    area.addEventListener('input', function () { checkNote(area); });
  });

  /* ---- After-photos: thumbnails of the chosen files. */
  var canSetFiles = (function () {
    try { return typeof new DataTransfer().items.add === 'function'; } catch (e) { return false; }
  })();

  function picker(input) {
    var box = input.form.querySelector('.thumbs');
    if (!box) return;
    var max = +input.getAttribute('data-max') || 9;
    var files = [], urls = [];

    function sync() {
      var dt = new DataTransfer();
      files.forEach(function (file) { dt.items.add(file); });
      input.files = dt.files;
    }

    function render() {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      box.textContent = '';
      var list = canSetFiles ? files : Array.prototype.slice.call(input.files);
      list.forEach(function (file, i) {
        var fig = document.createElement('figure');
        var img = document.createElement('img');
        var url = URL.createObjectURL(file);
        urls.push(url);
        img.src = url;
        img.alt = '';
        img.decoding = 'async';
        img.onerror = function () { fig.className = 'noimg'; };
        fig.appendChild(img);
        if (canSetFiles) {
          var rm = document.createElement('button');
          rm.type = 'button';
          rm.className = 'rm';
          rm.setAttribute('aria-label', box.getAttribute('data-remove'));
          rm.onclick = function () { files.splice(i, 1); sync(); render(); };
          fig.appendChild(rm);
        }
        box.appendChild(fig);
      });
      input.setCustomValidity(list.length > max ? box.getAttribute('data-too-many') : '');
    }

    input.addEventListener('change', function () {
      if (canSetFiles) {
        each(input.files, function (file) {
          if (!files.some(function (g) {
            return g.name === file.name && g.size === file.size && g.lastModified === file.lastModified;
          })) files.push(file);
        });
        sync();
      }
      render();
    });
  }
  each(document.querySelectorAll('form.move-rectify input[type=file]'), picker);
})();
