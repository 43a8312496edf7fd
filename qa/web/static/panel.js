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
  const openSource = (key) => window.__nqTrigger && window.__nqTrigger('select', {index: 0, value: key});
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
    if (el.closest('a[href]')) return;  // links to the original page open normally
    const key = keyOf(el);
    if (key) { ev.preventDefault(); ev.stopPropagation(); openSource(key); }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const el = ev.target instanceof Element ? ev.target : null;
    if (el && (ev.key === 'Enter' || ev.key === ' ') && el.matches('.nq-source')) {
      const key = keyOf(el);
      if (key) { ev.preventDefault(); openSource(key); }
    }
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
  watch('value', () => reveal(10));
}
