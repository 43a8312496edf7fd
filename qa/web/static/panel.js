window.__nqTrigger = trigger;
if (!window.__nqBound) {
  window.__nqBound = true;
  const copyText = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {}
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    let ok = false; try { ok = document.execCommand('copy'); } catch (e) {}
    area.remove(); return ok;
  };
  const keyOf = (el) => {
    const button = el.closest('button.nq-cite, button.nq-open');
    if (button) return button.value;
    const card = el.closest('.nq-source');
    const open = card && card.querySelector('button.nq-open');
    return open ? open.value : null;
  };
  const openSource = (key, from) => {
    window.__nqFrom = from || null;  // where to come back to from the article (phone)
    window.__nqOpening = true;
    if (window.__nqTrigger) window.__nqTrigger('select', {index: 0, value: key});
  };
  // On a phone the article covers the page; "back" returns to the answer, at the [n] tapped.
  const closeArticle = () => {
    const panel = document.getElementById('nq-article');
    if (panel) panel.classList.remove('nq-overlay');
    document.body.classList.remove('nq-covered');
    const from = window.__nqFrom;
    if (from && from.isConnected) { from.scrollIntoView({block: 'center'}); from.focus({preventScroll: true}); }
  };
  window.__nqCloseArticle = closeArticle;
  document.addEventListener('click', (ev) => {
    const el = ev.target instanceof Element ? ev.target : null;
    if (!el) return;
    const copy = el.closest('button.nq-copy');
    if (copy) {
      ev.preventDefault(); ev.stopPropagation();
      window.__nqCopied = copy.value;
      copyText(copy.value).then(() => {
        const [label, done] = [copy.querySelector('.nq-copy-label'), copy.querySelector('.nq-copied')];
        if (!label || !done) return;
        label.hidden = true; done.hidden = false;
        setTimeout(() => { label.hidden = false; done.hidden = true; }, 1500);
      });
      return;
    }
    if (el.closest('button.nq-back')) { ev.preventDefault(); ev.stopPropagation(); closeArticle(); return; }
    if (el.closest('a[href]')) return;  // links to the original page open normally
    const key = keyOf(el);
    if (key) { ev.preventDefault(); ev.stopPropagation(); openSource(key, el.closest('button, .nq-source')); }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const el = ev.target instanceof Element ? ev.target : null;
    if (el && (ev.key === 'Enter' || ev.key === ' ') && el.matches('.nq-source')) {
      const key = keyOf(el);
      if (key) { ev.preventDefault(); openSource(key, el); }
    }
    if (ev.key === 'Escape' && document.body.classList.contains('nq-covered')) closeArticle();
  });
}
if (!element.__nqWatch) {
  element.__nqWatch = true;
  // Scroll the panel (not the page) so the cited passage sits near its top third.
  const reveal = (tries) => {
    const focus = element.querySelector('#nq-focus');
    if (!focus) { if (tries > 0) setTimeout(() => reveal(tries - 1), 50); return; }
    let box = focus.parentElement;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight) break;
      box = box.parentElement;
    }
    if (box && box !== document.body) {
      const delta = focus.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += delta - box.clientHeight / 4;
    }
    const rect = element.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > window.innerHeight) element.scrollIntoView({block: 'start'});
  };
  const show = () => {
    const panel = document.getElementById('nq-article');
    const opened = window.__nqOpening && element.querySelector('.nq-article, .nq-error');
    window.__nqOpening = false;
    if (panel && opened && window.matchMedia('(max-width: 768px)').matches) {
      panel.classList.add('nq-overlay');  // the article over the page, not below the examples
      document.body.classList.add('nq-covered');
      panel.scrollTop = 0;
      const back = element.querySelector('button.nq-back');
      if (back) back.focus({preventScroll: true});
    }
    reveal(10);
  };
  watch('value', () => setTimeout(show, 0));
}
