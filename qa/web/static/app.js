() => {
  if (window.__nqApp) return;
  window.__nqApp = true;
  const WORDS = {
    vi: {question: 'Câu hỏi', answer: 'Trả lời', chat: 'Cuộc trò chuyện'},
    en: {question: 'Question', answer: 'Answer', chat: 'Conversation'},
  };
  const words = () => WORDS[document.documentElement.lang === 'en' ? 'en' : 'vi'];
  const narrow = () => window.matchMedia('(max-width: 768px)').matches;

  // -- light / dark: the switch, remembered in this browser (?__theme= in the URL still wins) --
  const THEME_KEY = 'newsqa-theme';
  const applyTheme = (mode) => {
    document.body.classList.toggle('dark', mode === 'dark');
    const button = document.getElementById('nq-theme');
    if (button) button.setAttribute('aria-pressed', mode === 'dark' ? 'true' : 'false');
  };
  const fromUrl = new URL(window.location.href).searchParams.get('__theme');
  let saved = null;
  try { saved = window.localStorage.getItem(THEME_KEY); } catch (e) {}
  if (!fromUrl && (saved === 'dark' || saved === 'light')) applyTheme(saved);
  window.__nqToggleTheme = () => {
    const mode = document.body.classList.contains('dark') ? 'light' : 'dark';
    applyTheme(mode);
    try { window.localStorage.setItem(THEME_KEY, mode); } catch (e) {}
  };

  // -- export: the Markdown the server made, downloaded as a file --
  window.__nqDownload = (data) => {
    if (!data) return;
    const {name, text} = JSON.parse(data);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown;charset=utf-8'}));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  };

  // -- Arrow-Up in an empty question box brings back the last question --
  document.addEventListener('keydown', (ev) => {
    const box = ev.target;
    if (ev.key !== 'ArrowUp' || ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    if (!(box instanceof HTMLTextAreaElement) || !box.closest('#nq-question') || box.value !== '') return;
    const asked = document.querySelectorAll('#nq-chat .nq-question');
    if (!asked.length) return;
    ev.preventDefault();
    box.value = asked[asked.length - 1].textContent;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    box.setSelectionRange(box.value.length, box.value.length);
  }, true);

  // -- each finished answer: its question at the top of the chat, the chat in the window --
  const scroller = (el) => {
    let box = el.parentElement;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight) return box;
      box = box.parentElement;
    }
    return null;
  };
  let finished = 0;
  const revealAnswer = () => {
    const n = document.querySelectorAll('#nq-chat .nq-actions, #nq-chat .nq-error').length;
    const grew = n > finished;
    finished = n;
    if (!grew) return;
    const asked = document.querySelectorAll('#nq-chat .nq-question');
    const last = asked[asked.length - 1];
    if (!last) return;
    const row = last.closest('.message-row') || last;
    const box = scroller(row);
    if (box) box.scrollTop += row.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
    const chat = document.getElementById('nq-chat');
    const top = chat ? chat.getBoundingClientRect().top : 0;
    if (top < 0 || top > window.innerHeight / 2) window.scrollBy({top: top - 4});
  };

  // -- screen readers: each message labelled by its text (not its HTML), in the UI's language --
  const relabel = () => {
    const w = words();
    const log = document.querySelector('#nq-chat [role="log"]');
    if (log && log.getAttribute('aria-label') !== w.chat) log.setAttribute('aria-label', w.chat);
    document.querySelectorAll('#nq-chat [aria-label]').forEach((el) => {
      const label = el.getAttribute('aria-label') || '';
      if (/^user's message: /.test(label)) el.dataset.nqRole = 'question';
      else if (/^\w+'s message: /.test(label)) el.dataset.nqRole = 'answer';
      const role = el.dataset.nqRole;
      if (!role) return;
      const text = (el.textContent || '').replace(/\s+/g, ' ').trim();
      const want = `${w[role]}: ${text.length > 160 ? text.slice(0, 159) + '…' : text}`;
      if (label !== want) el.setAttribute('aria-label', want);
    });
  };

  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; relabel(); revealAnswer(); });
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label', 'lang']});
  new MutationObserver(relabel).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});

  // -- a wide screen starts with the cursor in the question box (a phone does not: no keyboard
  // pops up, and the page stays at its top) --
  const focusBox = (tries) => {
    const box = document.querySelector('#nq-question textarea');
    if (!box) { if (tries > 0) setTimeout(() => focusBox(tries - 1), 100); return; }
    if (!narrow()) box.focus({preventScroll: true});
  };
  focusBox(50);
}
