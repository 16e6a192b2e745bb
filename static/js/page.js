/* Small behaviours of the pages, wired here because the Content-Security-Policy allows no inline script
 * (fieldcheck/web.py): an element with data-print prints the page, one with data-back goes back. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var target = event.target.closest ? event.target.closest('[data-print], [data-back]') : null;
    if (!target) return;
    event.preventDefault();
    if (target.hasAttribute('data-print')) window.print();
    else history.back();
  });
})();
